"""`cleftedge inspect` on every artifact the toolchain makes: the FP32 ONNX, a calibrated Q/DQ ONNX,
an OpenVINO IR, a bundle folder and its .tar.gz."""

import json

import pytest
from calibration_helpers import tiny_model, write_set

from cleftedge.cli import main


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("insp")
    model = tiny_model(root / "tiny.onnx")
    data = write_set(root / "calib", n=24, seed=9, prefix="i")
    for target, name in (("openvino", "m.xml"), ("tensorrt", "m.qdq.onnx")):
        assert main(["calibrate", "--model", str(model), "--data", str(data), "--target", target, "--subset-size",
                     "12", "--out", str(root / name)]) == 0
    assert main(["build", "--model", str(root / "m.xml"), "--profile", "intel-cpu", "--out", str(root / "bundle")]) == 0
    assert main(["bundle", "pack", str(root / "bundle"), "--out", str(root / "bundle.tar.gz")]) == 0
    return root


@pytest.mark.parametrize("name,kind,calibrated", [("tiny.onnx", "onnx", False), ("m.qdq.onnx", "onnx", True),
                                                  ("m.xml", "openvino-ir", True), ("bundle", "bundle", None),
                                                  ("bundle.tar.gz", "bundle", None)])
def test_inspect_reads_every_artifact(artifacts, capsys, name, kind, calibrated):
    capsys.readouterr()
    assert main(["inspect", str(artifacts / name), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == kind and info["spec"]["input"]["name"] == "image"
    if calibrated is not None:
        assert bool(info["calibration"]) == calibrated
    assert main(["inspect", str(artifacts / name)]) == 0
    text = capsys.readouterr().out
    assert "spec: tiny-calib" in text and ("calibration: " in text) == bool(calibrated)


def test_inspect_of_an_ir_without_its_bin_is_one_line(artifacts, tmp_path, capsys):
    lone = tmp_path / "lone.xml"
    lone.write_bytes((artifacts / "m.xml").read_bytes())
    assert main(["inspect", str(lone)]) == 1
    err = capsys.readouterr().err
    assert "not a readable OpenVINO IR" in err and err.count("\n") == 1
