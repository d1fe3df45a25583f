"""A model from another framework at an old opset goes through export and every recipe; a recipe's
output that does not load is refused and leaves nothing; check-qdq fails an invalid ONNX; a failure
in any step of the command (diagnosis included) leaves no file behind."""

import json

import numpy as np
import onnx
import pytest
from calibration_helpers import spec_dict, tiny_model, write_set
from onnx import TensorProto, helper

from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import open_backend


@pytest.fixture(scope="module")
def old(tmp_path_factory):
    root = tmp_path_factory.mktemp("old")
    spec = root / "spec.json"
    spec.write_text(json.dumps(spec_dict()))
    return {"model": tiny_model(root / "opset11.onnx", opset=11), "spec": spec,
            "calib": write_set(root / "calib", n=40, seed=3, prefix="o"),
            "val": write_set(root / "val", n=32, seed=4, prefix="w")}


def calibrate(model, data, out, target, *extra):
    return main(["calibrate", "--model", str(model), "--data", str(data), "--target", target, "--subset-size", "16",
                 "--out", str(out), *extra])


def test_export_upgrades_opset_11_and_every_recipe_writes_a_model_that_loads(old, tmp_path, capsys):
    up = tmp_path / "up.onnx"
    assert main(["export", "--onnx", str(old["model"]), "--spec", str(old["spec"]), "--out", str(up), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["source_opset"], summary["opset"]) == (11, 13) and summary["max_abs_diff"] <= 1e-4
    record = {p.key: p.value for p in onnx.load(str(up)).metadata_props}["cleftedge.export"]
    assert json.loads(record)["source_opset"] == 11
    x = np.random.default_rng(0).normal(size=(2, 1, 32, 32)).astype(np.float32)
    for target, name, backend in (("tensorrt", "t.onnx", "onnxruntime"), ("onnxruntime", "u.onnx", "onnxruntime"),
                                  ("openvino", "v.xml", "openvino")):
        out = tmp_path / name
        assert calibrate(up, old["calib"], out, target) == 0, capsys.readouterr().err
        with open_backend(out, backend=backend) as b:
            assert np.all(np.isfinite(b.infer(x)["logits"]))
    assert main(["check-qdq", str(tmp_path / "t.onnx")]) == 0


def test_calibrate_refuses_an_old_opset_before_writing_anything(old, tmp_path, capsys):
    out = tmp_path / "o" / "t.onnx"
    assert calibrate(old["model"], old["calib"], out, "tensorrt") == 1
    err = capsys.readouterr().err
    assert "opset 11" in err and "cleftedge export --onnx" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_model_that_cannot_be_upgraded_is_refused_naming_the_op(tmp_path, capsys):
    node = helper.make_node("ImageScaler", ["image"], ["scaled"], name="scaler", scale=2.0)
    conv = helper.make_node("Conv", ["scaled", "w"], ["logits4"], name="conv")
    flat = helper.make_node("Flatten", ["logits4"], ["logits"], name="flat")
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 1, 32, 32], np.ones(2 * 32 * 32, np.float32).tolist())
    graph = helper.make_graph([node, conv, flat], "g",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 32, 32])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], [w])
    src = tmp_path / "old.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)]), str(src))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict()))
    out = tmp_path / "up.onnx"
    assert main(["export", "--onnx", str(src), "--spec", str(spec), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "node 'scaler' uses op ImageScaler" in err and "opset 13" in err and err.count("\n") == 1
    assert not out.exists() and not list(tmp_path.glob(".*"))


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    root = tmp_path_factory.mktemp("cur")
    return {"model": tiny_model(root / "tiny.onnx"), "calib": write_set(root / "calib", n=40, seed=5, prefix="c"),
            "val": write_set(root / "val", n=32, seed=6, prefix="v")}


def _truncate(path):
    path.write_bytes(path.read_bytes()[:200])


def _drop_record(path):
    m = onnx.load(str(path))
    keep = [(p.key, p.value) for p in m.metadata_props if p.key != "cleftedge.calibration"]
    del m.metadata_props[:]
    for k, v in keep:
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(path))


@pytest.mark.parametrize("spoil,needle", [(_truncate, "does not load or run on onnxruntime"),
                                          (_drop_record, "does not carry its calibration record")])
def test_a_recipe_output_that_fails_its_own_check_is_refused_and_removed(current, tmp_path, capsys, monkeypatch,
                                                                         spoil, needle):
    from cleftedge.calibration.recipes import onnxruntime as ort_recipe

    real = ort_recipe.quantize_onnxruntime

    def spoiled(r):
        out = real(r)
        spoil(out)
        return out

    monkeypatch.setattr(ort_recipe, "quantize_onnxruntime", spoiled)
    out = tmp_path / "u.onnx"
    assert calibrate(current["model"], current["calib"], out, "onnxruntime") == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_check_qdq_fails_a_model_that_is_not_valid_onnx(current, tmp_path, capsys):
    good = tmp_path / "t.onnx"
    assert calibrate(current["model"], current["calib"], good, "tensorrt") == 0
    m = onnx.load(str(good))
    m.opset_import[0].version = 11  # per-channel DequantizeLinear (axis) is not valid at opset 11
    bad = tmp_path / "bad.onnx"
    onnx.save(m, str(bad))
    capsys.readouterr()
    assert main(["check-qdq", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "is not a valid ONNX model" in err and err.count("\n") == 1


@pytest.mark.parametrize("target,name", [("tensorrt", "t.onnx"), ("openvino", "v.xml")])
def test_a_failing_diagnosis_leaves_no_file(current, tmp_path, capsys, monkeypatch, target, name):
    def broken(*a, **k):
        raise CleftEdgeError("diagnosis failed", "a diagnosis", "none")

    monkeypatch.setattr("cleftedge.calibration.auto_keep.rank_layers", broken)
    out = tmp_path / name
    assert calibrate(current["model"], current["calib"], out, target, "--diagnose") == 1
    assert "diagnosis failed" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_terminated_calibration_leaves_no_file(current, tmp_path):
    """kill (SIGTERM) in the middle of a run: the staged model and its companions are removed."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "v.xml"
    p = subprocess.Popen([sys.executable, "-m", "cleftedge", "calibrate", "--model", str(current["model"]), "--data",
                          str(current["calib"]), "--val-data", str(current["val"]), "--target", "openvino",
                          "--auto-keep-float", "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".*staging*")) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    assert p.poll() is None, "the run ended before it could be interrupted"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 130
    assert list(tmp_path.iterdir()) == []


def test_nncf_options_are_recorded_and_refused_for_other_recipes(current, tmp_path, capsys):
    from cleftedge.calibration.record import read_record

    out = tmp_path / "v.xml"
    assert calibrate(current["model"], current["calib"], out, "openvino", "--activations", "asymmetric",
                     "--bias-correction", "accurate") == 0
    rec = read_record(out)
    assert (rec["activations"], rec["bias_correction"]) == ("asymmetric", "accurate")
    capsys.readouterr()
    assert calibrate(current["model"], current["calib"], tmp_path / "t.onnx", "tensorrt", "--activations",
                     "asymmetric") == 1
    assert "--activations for the tensorrt recipe" in capsys.readouterr().err
    assert not (tmp_path / "t.onnx").exists()
