"""The calibration record a calibrated model carries, read without any heavy package (a cart reads
it too): the sidecar `<model>.calibration.json`, an ONNX file's metadata ("cleftedge.calibration"),
an IR's rt_info (cleftedge/calibration, read from the XML), or a bundle manifest's
source.calibration. Parsed as JSON only, never evaluated."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

METADATA_KEY = "cleftedge.calibration"


def calibration_record(model_path: str | Path) -> dict:
    """The record, or {} for a model that carries none (a user's own INT8 model, another tool's)."""
    model_path = Path(model_path)
    for text in (_sidecar(model_path), _embedded(model_path)):
        if text:
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                return record
    return {}


def manifest_record(manifest: dict) -> dict:
    """The record a bundle's manifest carries (source.calibration), or {}."""
    source = manifest.get("source") if isinstance(manifest, dict) else None
    record = source.get("calibration") if isinstance(source, dict) else None
    return record if isinstance(record, dict) else {}


def _sidecar(model_path: Path) -> str | None:
    for candidate in (model_path.with_name(model_path.name + ".calibration.json"),
                      model_path.with_suffix(".calibration.json")):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return None


def _embedded(model_path: Path) -> str | None:
    if model_path.suffix.lower() == ".onnx" and model_path.is_file():
        from cleftedge.runtime.model_spec import read_onnx_metadata

        try:
            return read_onnx_metadata(model_path).get(METADATA_KEY)
        except Exception:  # not readable as ONNX: whoever opens the model reports that itself
            return None
    if model_path.suffix.lower() == ".xml":  # <rt_info><cleftedge><calibration value="..."/>
        try:
            root = ET.parse(model_path).getroot()
        except (OSError, ET.ParseError):
            return None
        node = root.find("rt_info/cleftedge/calibration")
        return node.get("value") if node is not None else None
    return None
