"""Recipes on a tiny model: keep-float per recipe, records in the model and beside it, reduce_range,
methods, profiles, diagnosis and auto keep-float, and bad requests refused before anything is written."""

import json

import numpy as np
import pytest
from calibration_helpers import tiny_model, write_set

from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.record import read_record
from cleftedge.cli import main
from cleftedge.export.onnx_meta import load_onnx
from cleftedge.export.qdq_rules import check_model
from cleftedge.runtime.model import Model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return {"model": tiny_model(root / "tiny.onnx"), "calib": write_set(root / "calib", n=64, seed=5, prefix="k"),
            "val": write_set(root / "val", n=48, seed=6, prefix="v")}


def calibrate(tiny, out, *extra, capsys=None):
    rc = main(["calibrate", "--model", str(tiny["model"]), "--data", str(tiny["calib"]), "--out", str(out),
               "--subset-size", "32", *extra, "--json"])
    summary = json.loads(capsys.readouterr().out) if capsys and rc == 0 else None
    return rc, summary


def quantized_nodes(path):
    """Names of the ops whose weight goes through a DequantizeLinear."""
    model = load_onnx(path)
    dq = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    return {n.name for n in model.graph.node if n.op_type in ("Conv", "Gemm") and n.input[1] in dq}


def test_tensorrt_keep_float_and_the_record_in_the_model(tiny, tmp_path, capsys):
    out = tmp_path / "t.onnx"
    rc, s = calibrate(tiny, out, "--target", "tensorrt", "--method", "entropy", "--keep-float", "conv2",
                      capsys=capsys)
    assert rc == 0 and s["qdq_check"] == "pass" and s["method"] == "entropy"
    assert quantized_nodes(out) == {"conv1", "head"} and check_model(load_onnx(out)) == []
    inside, beside = read_record(out), json.loads((tmp_path / "t.onnx.calibration.json").read_text())
    assert inside == beside and inside["keep_float"] == ["conv2"] and inside["target"] == "tensorrt"
    assert inside["data_hash"] == open_dataset(tiny["calib"]).content_hash() and len(inside["subset"]) == 32
    assert Model.open(out, backend="onnxruntime").spec.input.name == "image"  # the spec travelled


def test_openvino_keep_float_takes_onnx_node_names(tiny, tmp_path, capsys):
    import openvino as ov

    out = tmp_path / "o.xml"
    rc, s = calibrate(tiny, out, "--target", "openvino", "--keep-float", "conv2", capsys=capsys)
    assert rc == 0 and s["method"] == "nncf"
    m = ov.Core().read_model(str(out))
    feeds = {op.get_friendly_name(): op.input_value(0).get_node().get_type_name()
             for op in m.get_ordered_ops() if op.get_type_name() == "Convolution"}
    assert feeds["conv1/WithoutBiases"] == "FakeQuantize" and feeds["conv2/WithoutBiases"] != "FakeQuantize"
    assert read_record(out)["keep_float"] == ["conv2"] and m.has_rt_info(["cleftedge", "spec"])
    # without VNNI OpenVINO's int8 kernels saturate 16-bit pair sums: NNCF's overflow fix on every layer
    from cleftedge.calibration.recipes.onnxruntime import cpu_has_vnni

    assert read_record(out)["overflow_fix"] == ("first layer" if cpu_has_vnni() else "all layers")


def test_onnxruntime_reduce_range_follows_the_flag(tiny, tmp_path, capsys):
    rc, s = calibrate(tiny, tmp_path / "u.onnx", "--target", "onnxruntime", "--reduce-range", "on", capsys=capsys)
    assert rc == 0 and s["reduce_range"] is True
    record = read_record(tmp_path / "u.onnx")
    assert record["reduce_range_reason"] == "forced"
    zps = [i for i in load_onnx(tmp_path / "u.onnx").graph.initializer if i.name.endswith("zero_point")]
    assert any(z.data_type == 2 for z in zps) and any(z.data_type == 3 for z in zps)  # u8 activations, s8 weights


def test_every_recipe_agrees_with_fp32_on_the_tiny_model(tiny, tmp_path):
    frames = [s.image for s in open_dataset(tiny["val"])]
    ref = Model.open(tiny["model"], backend="onnxruntime").predict(frames).scores
    for target, suffix in (("tensorrt", ".onnx"), ("onnxruntime", ".onnx"), ("openvino", ".xml")):
        out = tmp_path / f"{target}{suffix}"
        assert calibrate(tiny, out, "--target", target)[0] == 0
        got = Model.open(out, backend="onnxruntime" if suffix == ".onnx" else "openvino").predict(frames).scores
        assert np.mean((got >= 0.5) == (ref >= 0.5)) >= 0.95, target
        if suffix == ".onnx":  # NNCF's mean-of-maxima ranges clip this toy's few bright activations (scores only)
            assert np.max(np.abs(got - ref)) < 0.1, target


def test_profile_picks_the_recipe(tiny, tmp_path, capsys):
    from cleftedge.commands.calibrate import profile_recipe

    assert profile_recipe("x86-cpu-onnxruntime") == "onnxruntime" and profile_recipe("intel-cpu") == "openvino"
    assert profile_recipe("jetson-orin-nano") == "tensorrt"
    rc, s = calibrate(tiny, tmp_path / "p.onnx", "--profile", "x86-cpu-onnxruntime", capsys=capsys)
    assert rc == 0 and s["recipe"] == "onnxruntime"


def test_diagnosis_and_auto_keep_float(tiny, tmp_path, capsys):
    # the QA gate's own rule judges the validation set, so it must hold enough cases to pass honestly
    # (cleftedge qa-plan: about 189 of each side for a zero-flip set): one frame per case
    val = write_set(tmp_path / "val", n=520, seed=7, prefix="w", per_case=1)
    out = tmp_path / "a.onnx"
    rc = main(["calibrate", "--model", str(tiny["model"]), "--data", str(tiny["calib"]), "--val-data",
               str(val), "--target", "tensorrt", "--subset-size", "32", "--out", str(out),
               "--diagnose", "--auto-keep-float", "--json"])
    s = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert {w["node"] for w in s["worst_layers"]} == {"conv1", "conv2", "head"}
    sqnr = [w["sqnr_db"] for w in s["worst_layers"]]
    assert sqnr == sorted(sqnr) and all(np.isfinite(sqnr))
    auto = s["auto_keep_float"]
    assert auto["passed"] and auto["agreement"] >= 0.98 and auto["latency_ms_before"] > 0
    assert auto["latency_ms_after"] > 0 and auto["backend"] == "onnxruntime"


def test_allow_overlap_lets_a_shared_validation_set_through(tiny, tmp_path, capsys):
    out = tmp_path / "ov.onnx"
    rc, _ = calibrate(tiny, out, "--target", "tensorrt", "--val-data", str(tiny["calib"]))
    assert rc == 1 and "share" in capsys.readouterr().err and not out.exists()
    rc, s = calibrate(tiny, out, "--target", "tensorrt", "--val-data", str(tiny["calib"]), "--allow-overlap",
                      capsys=capsys)
    assert rc == 0 and read_record(out)["overlap_allowed"] is True


@pytest.mark.parametrize("extra,needle", [
    (["--target", "tensorrt", "--keep-float", "conv9"], "no such node"),
    (["--target", "openvino", "--method", "entropy"], "--method entropy for the openvino recipe"),
    (["--target", "tensorrt", "--reduce-range", "on"], "--reduce-range for the tensorrt"),
    (["--target", "tensorrt", "--subset-size", "0"], "--subset-size 0"),
    (["--target", "onnxruntime", "--max-drop", "0.01"], "--max-drop needs"),
    (["--target", "tensorrt", "--auto-keep-float"], "--auto-keep-float needs --val-data"),
    (["--profile", "no-such-cart"], "no-such-cart"),
])
def test_bad_requests_are_one_line_and_write_nothing(tiny, tmp_path, capsys, extra, needle):
    out = tmp_path / "sub" / ("x.xml" if "openvino" in extra else "x.onnx")
    assert calibrate(tiny, out, *extra)[0] == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err
    assert not (tmp_path / "sub").exists()


def test_a_missing_data_set_is_one_line(tiny, tmp_path, capsys):
    assert main(["calibrate", "--model", str(tiny["model"]), "--data", str(tmp_path / "nope"), "--target",
                 "tensorrt", "--out", str(tmp_path / "x.onnx")]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1 and not list(tmp_path.iterdir())


def test_a_tensorrt_qdq_onnx_is_scored_on_onnxruntime_as_written_not_through_cpu_int8_kernels(tiny, tmp_path,
                                                                                              capsys):
    """onnxruntime stands in for TensorRT: its scores must be the Q/DQ graph as written (TensorRT
    accumulates in int32), not this CPU's fused s8 kernels (which saturate where the CPU lacks VNNI).
    An onnxruntime recipe's model keeps the fused kernels: they are what the cart runs."""
    import onnxruntime as ort

    from cleftedge.runtime.backends import open_backend

    x = np.random.default_rng(3).uniform(-1, 4, (8, 1, 32, 32)).astype(np.float32)
    for target, name, qdq in (("tensorrt", "t.onnx", "as written (proxy for tensorrt)"),
                              ("onnxruntime", "u.onnx", "fused")):
        assert calibrate(tiny, tmp_path / name, "--target", target, capsys=capsys)[0] == 0
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        written = ort.InferenceSession(str(tmp_path / name), opts).run(["logits"], {"image": x})[0]
        with open_backend(tmp_path / name, backend="onnxruntime") as b:
            got = b.infer(x)["logits"]
            assert b.describe()["qdq"] == qdq
        if target == "tensorrt":
            np.testing.assert_allclose(got, written, rtol=0, atol=1e-5)
