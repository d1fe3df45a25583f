"""The keep-float loop itself (a gate no model can pass forces it to keep layers), diagnosis of an
OpenVINO recipe through its Q/DQ twin, accuracy-controlled NNCF, and calibrating from DICOM cines."""

import numpy as np
import pytest
from calibration_helpers import frame, tiny_model, write_dicom, write_set

from cleftedge.calibration.auto_keep import auto_keep_float, diagnose
from cleftedge.calibration.calibrate import CalibrateRequest, run_calibration
from cleftedge.calibration.qa.policy import Policy
from cleftedge.calibration.record import read_record

# min_agreement above 1 cannot be met (the loader refuses it; built here to force the loop to go on)
UNREACHABLE = Policy(min_positive_clusters=10**9)  # no validation set holds that many: never passes


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("auto")
    return {"model": tiny_model(root / "tiny.onnx"), "calib": write_set(root / "calib", n=48, seed=7, prefix="k"),
            "val": write_set(root / "val", n=40, seed=8, prefix="v")}


def request(world, out, target="tensorrt", **kw):
    return CalibrateRequest(world["model"], world["calib"], target, out, subset_size=24, val_data=world["val"], **kw)


def test_the_loop_keeps_the_worst_layers_in_order_until_its_limit(world, tmp_path):
    req = request(world, tmp_path / "k.onnx")
    run_calibration(req)
    got = auto_keep_float(req, max_keep=2, policy=UNREACHABLE)
    assert not got["passed"] and got["kept"] == [r["node"] for r in got["ranking"][:2]]
    assert [r["kept"] for r in got["rounds"]] == [[], got["kept"][:1], got["kept"]]
    assert read_record(tmp_path / "k.onnx")["keep_float"] == got["kept"] == req.keep_float


def test_openvino_is_diagnosed_through_a_qdq_twin(world, tmp_path):
    ranking = diagnose(request(world, tmp_path / "o.xml", "openvino"))
    assert {r["node"] for r in ranking} == {"conv1", "conv2", "head"}
    assert not (tmp_path / "twin.onnx").exists()


def test_accuracy_controlled_openvino_records_its_budget(world, tmp_path):
    out = tmp_path / "ac.xml"
    summary = run_calibration(request(world, out, "openvino", max_drop=0.02))
    record = read_record(out)
    assert summary["accuracy_control"]["max_drop"] == 0.02 == record["accuracy_control"]["max_drop"]
    assert record["accuracy_control"]["validation_frames"] == 40 and record["validation_hash"]


def test_calibrating_from_a_folder_of_dicom_cines(world, tmp_path):
    rng = np.random.default_rng(3)
    root = tmp_path / "dicom"
    root.mkdir()
    rows = ["path,label,case_id"]
    for i in range(6):
        positive = i % 2 == 1
        write_dicom(root / f"loop{i}.dcm", [frame(positive, rng) for _ in range(4)])
        rows.append(f"loop{i}.dcm,{'cleft' if positive else 'normal'},p{i}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "d.onnx"
    summary = run_calibration(CalibrateRequest(world["model"], root, "tensorrt", out, subset_size=12))
    assert summary["frames"] == 12 and summary["subset_labels"] == {"cleft": 6, "normal": 6}
    assert all("#" in k for k in read_record(out)["subset"])


def test_the_command_exits_1_and_leaves_nothing_when_the_gate_is_still_not_met(world, tmp_path, capsys,
                                                                                 monkeypatch):
    from cleftedge.cli import main

    monkeypatch.setattr("cleftedge.calibration.qa.policy.load_policy", lambda path: UNREACHABLE)
    out = tmp_path / "g.onnx"
    rc = main(["calibrate", "--model", str(world["model"]), "--data", str(world["calib"]), "--val-data",
               str(world["val"]), "--target", "onnxruntime", "--subset-size", "24", "--out", str(out),
               "--auto-keep-float", "--max-keep", "1", "--json"])
    captured = capsys.readouterr()
    assert rc == 1 and "still not met" in captured.err and captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # no model, no sidecar, no staging file
