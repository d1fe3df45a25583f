"""Which backend the candidate is meant for, which one runs it here, and what it is (its hash).

The candidate runs on its own backend: an OpenVINO IR on OpenVINO; an ONNX file on onnxruntime,
except a TensorRT recipe's QDQ ONNX, which is meant for TensorRT: where TensorRT cannot be imported,
onnxruntime runs it as a PROXY and the verdict says so. A bundle names its backend in its
manifest; Model.open loads it (and verifies it) as the runtime would.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file
from cleftedge.targets import TARGETS, suffix_targets, target_for_path

if TYPE_CHECKING:
    from cleftedge.runtime.model import Model


@dataclass(frozen=True)
class CandidatePlan:
    """Which backend the candidate was made for and which one runs it here (a PROXY when they differ)."""

    intended: str  # the backend the candidate was made for
    run: str | None  # the backend that runs it here (None: let Model.open read the bundle)
    proxy: bool
    why: str
    bundle_device: str | None = None  # the device a bundle was built for (its manifest's)


def model_identity(path: str | Path) -> str:
    """SHA-256 of a model file; of the .xml and its .bin for an IR; for a bundle, its engine's hash
    as the manifest records it (what `bundle attach-qa` checks the report against)."""
    p = Path(path)
    if p.name.lower().endswith((".tar.gz", ".tgz")) or (p.is_dir() and (p / "manifest.json").is_file()):
        from cleftedge.runtime.bundle import bundle_folder
        from cleftedge.runtime.bundle.manifest import load_manifest

        return load_manifest(bundle_folder(p))["engine"]["sha256"]
    if p.is_dir():
        h = hashlib.sha256()
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(f.relative_to(p).as_posix().encode() + b"\0" + sha256_file(f).encode())
        return h.hexdigest()
    if p.suffix.lower() == ".xml" and p.with_suffix(".bin").is_file():
        return hashlib.sha256((sha256_file(p) + sha256_file(p.with_suffix(".bin"))).encode()).hexdigest()
    return sha256_file(p)


def onnx_recipe_target(path: Path) -> str | None:
    """The calibration recipe's target recorded in an ONNX file's metadata (None when none is)."""
    from cleftedge.runtime.model_spec import read_onnx_metadata  # no onnx package needed (carts)

    for key, value in read_onnx_metadata(path).items():
        if not key.startswith("cleftedge.") or key == "cleftedge.spec":
            continue
        try:
            record = json.loads(value)
        except json.JSONDecodeError:
            continue
        # calibrate's record ("cleftedge.calibration") names the target as "recipe"
        target = (record.get("target") or record.get("recipe")) if isinstance(record, dict) else None
        if target in TARGETS:
            return target
    return None


def _available(backend: str) -> bool:
    """Whether the package `backend`'s runtime imports is installed here."""
    return importlib.util.find_spec(TARGETS[backend].module) is not None


def _bundle_manifest(path: Path) -> dict:
    """A bundle's manifest as it stands (a .tar.gz is unpacked safely), {} when unreadable: Model.open
    verifies the bundle and says what is wrong with it."""
    from cleftedge.runtime.bundle import bundle_folder

    try:
        manifest = bundle_folder(path) / "manifest.json"
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except (CleftEdgeError, OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def plan_candidate(path: str | Path, backend: str | None) -> CandidatePlan:
    """Which target the candidate at `path` is meant for and which backend runs it here (`backend`:
    the --backend given, or None to tell from the file)."""
    p = Path(path)
    if not p.exists():
        raise CleftEdgeError(f"candidate {p} does not exist", "an ONNX file, an OpenVINO .xml or a bundle",
                             "check --candidate")
    if backend:
        return CandidatePlan(backend, backend, False, "--backend")
    if p.is_dir() or p.name.endswith(".tar.gz"):
        manifest = _bundle_manifest(p)
        backend, device = manifest.get("backend"), manifest.get("device")
        return CandidatePlan(backend if isinstance(backend, str) else "bundle", None, False, "the bundle's manifest",
                             device if isinstance(device, str) else None)
    owner = target_for_path(p)
    if owner is None:
        raise CleftEdgeError(f"candidate {p} has an unknown kind ('{p.suffix}')",
                             "a model file ending in " + ", ".join(suffix_targets()) + ", a bundle folder or .tar.gz",
                             "pass the model the bundle was built from, or the bundle, or use --backend")
    # an ONNX file may be a recipe's output made for another target (its calibration record says which);
    # a bare TensorRT plan runs only where TensorRT does and needs --spec
    made_for = onnx_recipe_target(p) if p.suffix.lower() == ".onnx" else None
    if made_for is None or made_for == owner:
        return CandidatePlan(owner, owner, False, TARGETS[owner].file_kind)
    target = TARGETS[made_for]
    if target.proxy and not _available(made_for):
        return CandidatePlan(made_for, owner, True, f"{target.recipe_onnx_kind}; {target.label} is not installed here")
    return CandidatePlan(made_for, made_for, False, target.recipe_onnx_kind)


def candidate_record(path: str | Path, model: Model) -> dict[str, Any]:
    """The candidate's calibration record: a bundle's manifest (source.calibration), else the model
    file's own (sidecar, ONNX metadata, IR rt_info); {} when it carries none."""
    from cleftedge.runtime.model_record import calibration_record, manifest_record

    manifest = getattr(model, "manifest", None)
    if isinstance(manifest, dict):
        return manifest_record(manifest)
    return calibration_record(path)


def inference_precision(backend: dict[str, Any], manifest: dict[str, Any] | None) -> str | None:
    """The precision the candidate's float layers ran in: what the compiled model reports (OpenVINO),
    f32 for onnxruntime's CPU kernels, else what the bundle recorded at build time."""
    reported = backend.get("inference_precision")
    if reported:
        return str(reported)
    if backend.get("backend") == "onnxruntime":
        return "f32"
    engine = manifest.get("engine") if isinstance(manifest, dict) else None
    return engine.get("inference_precision") if isinstance(engine, dict) else None


def candidate_info(path: str | Path, plan: CandidatePlan, model: Model, threshold: float, device: str,
                   proxy_reasons: list[str]) -> dict[str, Any]:
    """What was judged. For a bundle: its engine's SHA-256 (what `bundle attach-qa` checks) and the
    backend its manifest names."""
    backend = model.describe()
    info = {"path": str(path), "sha256": model_identity(path), "threshold": threshold, "backend": backend,
            "intended_backend": plan.intended, "proxy": bool(proxy_reasons), "proxy_reasons": list(proxy_reasons),
            "plan": plan.why, "device": device, "inference_precision": inference_precision(backend, model.manifest)}
    manifest = model.manifest
    if isinstance(manifest, dict):
        info["bundle_manifest_sha256"] = info["sha256"]
        info["sha256"] = manifest.get("engine", {}).get("sha256", info["sha256"])
        info["intended_backend"] = manifest.get("backend", plan.intended)
        info["bundle"] = {k: manifest.get(k) for k in ("model", "profile", "backend", "device", "precision")}
    return info
