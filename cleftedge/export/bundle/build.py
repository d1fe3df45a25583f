"""Build a bundle: the engine from the profile's builder, golden frames with their expected scores
(a known-answer test for the cart), and a manifest with the SHA-256 of every file, the spec, the
profile, the toolkit versions, and where the model and its calibration came from."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge import __version__
from cleftedge.atomic import atomic_dir
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders import builder_for
from cleftedge.export.bundle import write_manifest
from cleftedge.export.bundle.golden import write_golden
from cleftedge.export.bundle.provenance import calibration_record, provenance
from cleftedge.hashing import sha256_file
from cleftedge.progress import Progress
from cleftedge.runtime.backends import bundle_options
from cleftedge.runtime.bundle.manifest import SCHEMA, engine_identity, hash_files
from cleftedge.runtime.model_spec import resolve_spec

if TYPE_CHECKING:
    from cleftedge.device_profiles import Profile


def build_bundle(model_path: str | Path, profile: Profile, out: str | Path, cache_dir: Path | None = None,
                 release: int = 1) -> Path:
    """The bundle folder `out`; `release` is this bundle's release number for its model name (a cart
    refuses a release older than the newest it has run)."""
    from cleftedge.runtime.bundle.machine import build_platform

    check_release_number(release)
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
    # three steps (engine, golden frames, manifest); a TensorRT build on a Jetson takes minutes
    with atomic_dir(out, replace=True) as tmp, Progress(3, f"build {profile.name}") as progress:
        engine_dir = tmp / "engine"
        engine_dir.mkdir()
        result = builder_for(profile.backend)(model_path, spec, profile, engine_dir, cache_dir)
        progress.update()
        engine = engine_dir / result.engine
        golden = write_golden(tmp, spec, profile.backend, profile.device, engine,
                              bundle_options({"backend": profile.backend, "build_settings": result.settings,
                                              "engine": {"inference_precision": result.inference_precision}}))
        progress.update()
        manifest = {
            "schema": SCHEMA,
            "model": {"name": spec.model_name, "version": spec.model_version}, "release": release,
            "spec": spec.to_dict(), "profile": profile.to_dict(),
            "backend": profile.backend, "device": profile.device, "precision": result.precision,
            "engine": {"path": f"engine/{result.engine}", "sha256": engine_identity(engine),
                       "inference_precision": result.inference_precision},
            "source": {"model": model_path.name, "model_sha256": sha256_file(model_path),
                       **provenance(record)},
            "toolkit": {**result.toolkit, "cleftedge": __version__}, "target": result.target,
            "platform": build_platform(),
            "build_settings": result.settings,
            "build_checks": result.checks, "notes": result.notes, "golden": golden,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        manifest["files"] = hash_files(tmp)
        write_manifest(tmp, manifest)
        progress.update()
    return out


def check_release_number(release: object) -> None:
    """Refuse (one-line CleftEdgeError) a release that is not a whole number from 1 up."""
    if isinstance(release, bool) or not isinstance(release, int) or release < 1:
        raise CleftEdgeError(f"release {release!r}", "a whole number from 1 up, higher for every new bundle of "
                             "this model", "pass --release N")

