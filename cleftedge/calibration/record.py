"""The record a calibrated model carries: recipe, method, subset keys, data-set and source hashes,
versions. Stored in the model (ONNX metadata_props["cleftedge.calibration"] / IR
rt_info["cleftedge"]["calibration"]) and beside it as `<out>.calibration.json`."""

from __future__ import annotations

import hashlib
import json
import os
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.atomic import write_text
from cleftedge.hashing import sha256_file

if TYPE_CHECKING:
    from cleftedge.calibration.dataset_records import Dataset

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


def make_record(recipe: str, method: str, model_path: Path, dataset: Dataset, subset_keys: list[str],
                keep_float: list[str], extra: dict | None = None) -> dict:
    """The calibration record (the sidecar's and the model's metadata): recipe, method, the source model's hash, the
    data set's hash and the subset, the nodes kept in float, tool versions, time; `extra` added."""
    return {"kind": "cleftedge.calibration", "schema": 1, "recipe": recipe, "target": recipe, "method": method,
            "source_model": model_path.name, "source_sha256": sha256_file(model_path),
            "data_hash": dataset.content_hash(), "data_path": str(dataset.root), "data_kind": dataset.kind,
            "data_frames": len(dataset), "subset_size": len(subset_keys), "subset": subset_keys,
            "keep_float": keep_float, "versions": versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **(extra or {})}


def salted_case_id(salt: str, case_id: str) -> str:
    """SHA-256 of the record's salt and a case id: comparable by whoever holds the case id, and no
    case id (or a dictionary of them) can be read back from the record."""
    return hashlib.sha256(bytes.fromhex(salt) + str(case_id).encode("utf-8")).hexdigest()


def role_hashes(dataset, records, salt: str) -> dict:
    """What QA compares a QA set against: the SHA-256 of every file these frames come from and the
    salted hashes of their case ids, with the set's content hash."""
    files = sorted({dataset.file_sha256(r.file) for r in records})
    cases = sorted({salted_case_id(salt, r.case_id) for r in records if r.case_id})
    return {"data_hash": dataset.content_hash(), "frames": len(records), "files": files, "case_ids": cases}


def data_roles(calibration_set, subset, validation_set, subset_tensors) -> dict:
    """The record's "roles": the calibration subset (files, salted case ids, the perceptual hashes
    of its frames) and the validation set (files, salted case ids), under one fresh salt."""
    from cleftedge.calibration.qa.phash import tensor_hashes, to_hex

    salt = os.urandom(16).hex()
    calibration = role_hashes(calibration_set, subset, salt)
    if subset_tensors:
        import numpy as np

        calibration["phash"] = to_hex(tensor_hashes(np.concatenate(subset_tensors)))
    validation = role_hashes(validation_set, validation_set.records, salt) if validation_set is not None else None
    return {"salt": salt, "calibration": calibration, "validation": validation}


def sidecar_path(out: Path) -> Path:
    """Where the calibration record of the model `out` goes: `<out>.calibration.json`."""
    return out.with_name(out.name + ".calibration.json")


def write_sidecar(out: Path, record: dict) -> Path:
    """Write `record` as the JSON sidecar of `out`, atomically. Returns its path."""
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
