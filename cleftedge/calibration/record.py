"""The record a calibrated model carries: recipe, method, subset, data-set and source hashes, versions."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cleftedge.atomic import write_text
from cleftedge.hashing import sha256_file

METADATA_KEY = "cleftedge.calibration"


def make_record(recipe: str, method: str, model_path: Path, dataset, subset_keys: list[str], keep_float: list[str],
                extra: dict | None = None) -> dict:
    import importlib

    versions = {}
    for name in ("onnxruntime", "openvino", "nncf", "onnx"):
        try:
            m = importlib.import_module(name)
            versions[name] = getattr(m, "__version__", "") or m.get_version()
        except Exception:  # only what is installed
            continue
    return {"recipe": recipe, "method": method, "source_model": model_path.name,
            "source_sha256": sha256_file(model_path), "data_hash": dataset.content_hash(), "data_path":
            str(dataset.root), "subset_size": len(subset_keys), "subset": subset_keys, "keep_float": keep_float,
            "versions": versions, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **(extra or {})}


def write_sidecar(out: Path, record: dict) -> Path:
    path = out.with_name(out.name + ".calibration.json")
    write_text(path, json.dumps(record, indent=2) + "\n")
    return path
