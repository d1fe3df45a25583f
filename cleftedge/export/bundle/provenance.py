"""Where a calibrated model came from, for the bundle manifest: the calibration record the recipe
left in a sidecar `<model>.calibration.json`, in an ONNX file's metadata ("cleftedge.calibration")
or in an IR's rt_info (cleftedge/calibration), read by runtime/model_record.py (the reader QA uses
too). Parsed as JSON only, never evaluated."""

from __future__ import annotations

from cleftedge.runtime.model_record import METADATA_KEY, calibration_record  # noqa: F401 (the one reader)


def provenance(record: dict) -> dict:
    """The manifest's "source" hashes: the FP32 ONNX the model was calibrated from and the calibration set."""
    return {"onnx_sha256": record.get("source_sha256") or record.get("source_onnx_sha256"),
            "calibration_data_sha256": record.get("data_hash") or record.get("dataset_hash"),
            "recipe": record.get("recipe"), "calibration": record}
