"""The calibration record a bundle's manifest takes its source hashes from (sidecar, ONNX metadata, IR rt_info)."""

import json

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from cleftedge.export.bundle.provenance import calibration_record, provenance


def test_record_from_an_ir_rt_info(tmp_path):
    x = ops.parameter([1, 3], ov.Type.f32, name="x")
    model = ov.Model([ops.result(ops.relu(x))], [x])
    model.set_rt_info(json.dumps({"recipe": "openvino", "data_hash": "a" * 64, "source_sha256": "b" * 64}),
                      ["cleftedge", "calibration"])
    ov.save_model(model, str(tmp_path / "m.xml"))
    source = provenance(calibration_record(tmp_path / "m.xml"))
    assert source["calibration_data_sha256"] == "a" * 64 and source["onnx_sha256"] == "b" * 64


def test_a_sidecar_wins_and_garbage_is_ignored(tmp_path):
    model = tmp_path / "q.onnx"
    model.write_bytes(np.zeros(8, np.uint8).tobytes())  # not ONNX: no embedded record
    assert calibration_record(model) == {}
    (tmp_path / "q.onnx.calibration.json").write_text("{not json")
    assert calibration_record(model) == {}
    (tmp_path / "q.onnx.calibration.json").write_text(json.dumps({"data_hash": "c" * 64}))
    assert provenance(calibration_record(model))["calibration_data_sha256"] == "c" * 64
