"""x86-cpu-onnxruntime: the QDQ ONNX is the engine."""

import json

import numpy as np
from builder_helpers import user_profile

from cleftedge.cli import main
from cleftedge.hashing import sha256_file
from cleftedge.runtime.model import Model


def test_qdq_onnx_builds_into_a_bundle_that_verifies_and_runs(qdq_onnx, tmp_path, capsys):
    profile = user_profile(tmp_path, "x86-cpu-onnxruntime")
    out = tmp_path / "b"
    assert main(["build", "--model", str(qdq_onnx), "--profile", str(profile), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"] == "onnxruntime" and manifest["engine"]["path"] == "engine/model.onnx"
    assert manifest["toolkit"]["onnxruntime"] and set(manifest["files"]) >= {"engine/model.onnx"}
    assert manifest["source"]["calibration_data_sha256"] == "d" * 64  # from the model's calibration record
    assert manifest["source"]["onnx_sha256"] == sha256_file(qdq_onnx.with_name("model.onnx"))
    assert not any(name.endswith(".cache") for name in manifest["files"])
    assert main(["bundle", "verify", str(out), "--allow-unsigned"]) == 0
    model = Model.open(out, allow_unsigned=True)
    import cv2

    golden = manifest["golden"]
    frames = [cv2.imread(str(out / g["file"]), cv2.IMREAD_UNCHANGED) for g in golden["frames"]]
    scores = model.predict(frames).scores
    assert np.allclose(scores, [g["score"] for g in golden["frames"]], atol=1e-5)


def test_a_float_model_is_refused_for_an_int8_profile(reference_onnx, tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["build", "--model", str(reference_onnx), "--profile", "x86-cpu-onnxruntime", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no QuantizeLinear/DequantizeLinear" in err and err.count("\n") == 1
    assert not out.exists()  # nothing half-written
