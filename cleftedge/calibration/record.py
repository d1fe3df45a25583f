"""The record a calibrated model carries: recipe, method, subset keys, data-set and source hashes,
versions. Stored in the model (ONNX metadata_props["cleftedge.calibration"] / IR
rt_info["cleftedge"]["calibration"]) and beside it as `<out>.calibration.json`."""

from __future__ import annotations

import json
import time
from importlib import metadata
from pathlib import Path

from cleftedge.atomic import write_text
from cleftedge.hashing import sha256_file

METADATA_KEY = "cleftedge.calibration"
PACKAGES = ("cleftedge", "onnxruntime", "onnx", "openvino", "nncf", "numpy")


def versions() -> dict:
    """Installed versions, read from package metadata (no heavy imports)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def make_record(recipe: str, method: str, model_path: Path, dataset, subset_keys: list[str], keep_float: list[str],
                extra: dict | None = None) -> dict:
    return {"kind": "cleftedge.calibration", "schema": 1, "recipe": recipe, "target": recipe, "method": method,
            "source_model": model_path.name, "source_sha256": sha256_file(model_path),
            "data_hash": dataset.content_hash(), "data_path": str(dataset.root), "data_kind": dataset.kind,
            "data_frames": len(dataset), "subset_size": len(subset_keys), "subset": subset_keys,
            "keep_float": keep_float, "versions": versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **(extra or {})}


def sidecar_path(out: Path) -> Path:
    return out.with_name(out.name + ".calibration.json")


def write_sidecar(out: Path, record: dict) -> Path:
    path = sidecar_path(out)
    write_text(path, json.dumps(record, indent=2) + "\n")
    return path


def read_record(model_path: Path) -> dict | None:
    """The record inside a calibrated ONNX or IR (None when it has none)."""
    p = Path(model_path)
    if p.suffix.lower() == ".xml":
        from cleftedge.lazy import require

        ov = require("openvino", "openvino")
        m = ov.Core().read_model(str(p))
        if not m.has_rt_info(["cleftedge", "calibration"]):
            return None
        return json.loads(m.get_rt_info(["cleftedge", "calibration"]).astype(str))
    from cleftedge.runtime.model_spec import read_onnx_metadata

    text = read_onnx_metadata(p).get(METADATA_KEY)
    return json.loads(text) if text else None
