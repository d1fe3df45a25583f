"""Build a bundle: the engine from the profile's builder, golden frames with their expected scores
(a known-answer test for the cart), and a manifest with the SHA-256 of every file, the spec, the
profile, the toolkit versions, and where the model and its calibration came from."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path

import cv2

from cleftedge.atomic import atomic_dir, atomic_path
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders import builder_for
from cleftedge.hashing import sha256_file
from cleftedge.runtime.bundle.manifest import SCHEMA, engine_identity, hash_files, write_manifest
from cleftedge.runtime.model_spec import resolve_spec

GOLDEN_TOLERANCE = 0.02  # absolute score difference the known-answer test allows
GOLDEN = (("normal", 0.0), ("bilateral", 0.7), ("unilateral_left", 0.5), ("off_plane", 0.0))


def calibration_record(model_path: Path) -> dict:
    """The calibration record written beside the calibrated model, when there is one."""
    for candidate in (model_path.with_name(model_path.name + ".calibration.json"),
                      model_path.with_suffix(".calibration.json"), model_path.parent / "calibration.json"):
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text())
            except json.JSONDecodeError:
                return {}
    return {}


def write_golden(folder: Path, spec, backend: str, device: str, engine: Path) -> dict:
    """A few simulator frames and the scores the built engine gives them."""
    import numpy as np

    from cleftedge.runtime.backends import open_backend
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.runtime.scoring import scores_from_output
    from cleftedge.simulator.render import render_frame

    (folder / "golden").mkdir()
    frames, entries = [], []
    for i, (label, severity) in enumerate(GOLDEN):
        image = render_frame(label, severity, np.random.default_rng(7000 + i)).image
        rel = f"golden/{i:02d}_{label}.png"
        cv2.imwrite(str(folder / rel), image)
        frames.append(cv2.imread(str(folder / rel), cv2.IMREAD_UNCHANGED))  # exactly what the cart will read
        entries.append({"file": rel, "label": label})
    with open_backend(engine, backend=backend, device=device, spec=spec) as b:
        raw = b.infer(Preprocessor(spec.input).batch(frames))
    for entry, score in zip(entries, scores_from_output(spec.output, raw[spec.output.name]), strict=True):
        entry["score"] = float(score)
    return {"frames": entries, "tolerance": GOLDEN_TOLERANCE}


def build_bundle(model_path: str | Path, profile, out: str | Path, cache_dir: Path | None = None) -> Path:
    model_path = Path(model_path)
    if not model_path.is_file():
        raise CleftEdgeError(f"model {model_path} does not exist", "a calibrated model (QDQ .onnx or OpenVINO .xml)",
                             "run 'cleftedge calibrate' first")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise CleftEdgeError(f"output folder {out} exists and is not empty", "a new folder for the bundle",
                             "choose another --out or remove it")
    spec = resolve_spec(model_path)
    record = calibration_record(model_path)
    with atomic_dir(out, replace=True) as tmp:
        engine_dir = tmp / "engine"
        engine_dir.mkdir()
        result = builder_for(profile.backend)(model_path, spec, profile, engine_dir, cache_dir)
        engine = engine_dir / result.engine
        golden = write_golden(tmp, spec, profile.backend, profile.device, engine)
        manifest = {
            "schema": SCHEMA,
            "model": {"name": spec.model_name, "version": spec.model_version},
            "spec": spec.to_dict(), "profile": profile.to_dict(),
            "backend": profile.backend, "device": profile.device, "precision": result.precision,
            "engine": {"path": f"engine/{result.engine}", "sha256": engine_identity(engine)},
            "source": {"model": model_path.name, "model_sha256": sha256_file(model_path),
                       "onnx_sha256": record.get("source_sha256") or record.get("source_onnx_sha256"),
                       "calibration_data_sha256": record.get("data_hash") or record.get("dataset_hash"),
                       "calibration": record},
            "toolkit": result.toolkit, "target": result.target, "build_settings": result.settings,
            "build_checks": result.checks, "notes": result.notes, "golden": golden,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        manifest["files"] = hash_files(tmp)
        write_manifest(tmp, manifest)
    return out


def pack(folder: Path, archive: Path) -> Path:
    """A .tar.gz of the bundle for shipping: plain files only, under one top folder."""
    if not (folder / "manifest.json").is_file():
        raise CleftEdgeError(f"{folder} is not a bundle folder", "a folder made by 'cleftedge build'", "check BUNDLE")
    with atomic_path(archive) as tmp:
        with tarfile.open(tmp, "w:gz") as tar:
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not p.is_symlink():
                    tar.add(p, arcname=f"{folder.name}/{p.relative_to(folder).as_posix()}", recursive=False)
    return archive
