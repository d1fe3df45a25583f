"""Where a calibrated model came from, for the bundle manifest: the calibration record the recipe
left in a sidecar `<model>.calibration.json`, in an ONNX file's metadata ("cleftedge.calibration")
or in an IR's rt_info (cleftedge/calibration). Parsed as JSON only, never evaluated."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

METADATA_KEY = "cleftedge.calibration"


def calibration_record(model_path: Path) -> dict:
    """The record, or {} for a model that carries none (a user's own INT8 model)."""
    for text in (_sidecar(model_path), _embedded(model_path)):
        if text:
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                return record
    return {}


def provenance(record: dict) -> dict:
    """The manifest's "source" hashes: the FP32 ONNX the model was calibrated from and the calibration set."""
    return {"onnx_sha256": record.get("source_sha256") or record.get("source_onnx_sha256"),
            "calibration_data_sha256": record.get("data_hash") or record.get("dataset_hash"),
            "recipe": record.get("recipe"), "calibration": record}


def _sidecar(model_path: Path) -> str | None:
    for candidate in (model_path.with_name(model_path.name + ".calibration.json"),
                      model_path.with_suffix(".calibration.json")):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return None


def _embedded(model_path: Path) -> str | None:
    if model_path.suffix.lower() == ".onnx":
        from cleftedge.runtime.model_spec import read_onnx_metadata

        try:
            return read_onnx_metadata(model_path).get(METADATA_KEY)
        except Exception:  # not readable as ONNX: the builder reports that itself
            return None
    if model_path.suffix.lower() == ".xml":  # <rt_info><cleftedge><calibration value="..."/>
        try:
            root = ET.parse(model_path).getroot()
        except (OSError, ET.ParseError):
            return None
        node = root.find("rt_info/cleftedge/calibration")
        return node.get("value") if node is not None else None
    return None
