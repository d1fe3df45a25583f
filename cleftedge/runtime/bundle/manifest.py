"""The bundle manifest: what is in a bundle and how it was made. JSON, schema-versioned."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file

SCHEMA = 2  # 2: release, platform, the QA attestation's policy and evidence (docs/formats.md)
MANIFEST = "manifest.json"
NOT_HASHED = {MANIFEST, "signature.json"}  # the manifest holds the hashes; the signature covers the manifest
# The manifest's fields, one definition for the build host that writes them (export/bundle) and the cart
# that reads them: name -> (required on read, what it holds). docs/formats.md explains each.
FIELDS: dict[str, tuple[bool, str]] = {
    "schema": (True, "the manifest's schema number; a cart refuses a newer one"),
    "model": (True, "{name, version} from the spec"),
    "release": (False, "this bundle's release number for its model name (required from schema 2)"),
    "platform": (False, "where the engine was built: machine, system, l4t"),
    "spec": (True, "the ModelSpec that runs"),
    "profile": (True, "the whole device profile it was built for"),
    "backend": (True, "the backend that runs the engine"),
    "device": (True, "the device the engine runs on"),
    "precision": (True, "the engine's precision"),
    "engine": (True, "{path, sha256, inference_precision}"),
    "files": (True, "relative path -> SHA-256 of every file but the manifest and the signature"),
    "source": (False, "the calibrated model built from and its calibration record"),
    "toolkit": (True, "toolkit versions at build"),
    "target": (True, "device, or TensorRT's compute capability, L4T and power mode"),
    "build_settings": (False, "what the builder set"),
    "build_checks": (False, "what the builder verified"),
    "notes": (False, "why a requested feature was not used"),
    "golden": (True, "{frames: [{file, label, score}], tolerance}: the known-answer test"),
    "qa": (False, "the QA attestation, once attached"),
    "created": (True, "UTC time of the build, ISO 8601"),
}
REQUIRED = tuple(name for name, (required, _) in FIELDS.items() if required)


def bundle_files(folder: Path) -> list[str]:
    """Every file in the bundle (relative POSIX paths, sorted). A symbolic link, a hard link (a file
    with another name elsewhere, which someone could change there) or a special file anywhere in
    the folder is refused: the cart reads only plain files that live in the bundle alone."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in sorted(dirs) + sorted(files):
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                raise _refused(folder, f"{rel} is a symbolic link")
            if stat.S_ISDIR(st.st_mode):
                continue
            if not stat.S_ISREG(st.st_mode):
                raise _refused(folder, f"{rel} is not a plain file")
            if st.st_nlink > 1:
                raise _refused(folder, f"{rel} is a hard link ({st.st_nlink} names for one file)")
            found.append(rel)
    return sorted(found)


def _refused(folder: Path, problem: str) -> CleftEdgeError:
    return CleftEdgeError(f"bundle {folder}: {problem}", "plain files only, no links, as 'cleftedge build' writes",
                          "copy the bundle as plain files (or unpack its .tar.gz) and do not link into it")


def hash_files(folder: Path) -> dict[str, str]:
    """relative path -> SHA-256 for every file in the bundle except the manifest and signature."""
    return {rel: sha256_file(folder / rel) for rel in bundle_files(folder) if rel not in NOT_HASHED}


def engine_identity(path: Path) -> str:
    """The hash QA reports and bundles agree on: SHA-256 of the engine file; for an OpenVINO IR, of
    the .xml's and the .bin's hashes together."""
    import hashlib

    if path.suffix.lower() == ".xml":
        return hashlib.sha256((sha256_file(path) + sha256_file(path.with_suffix(".bin"))).encode()).hexdigest()
    return sha256_file(path)


def load_manifest(folder: Path) -> dict:
    """The manifest of the bundle `folder`, checked: present, a plain file, every required field, a
    schema this cleftedge knows, a release, sound file paths; one-line CleftEdgeError otherwise."""
    from cleftedge.documents import read_json_object

    path = folder / MANIFEST
    if path.is_symlink():
        raise _refused(folder, f"{MANIFEST} is a symbolic link")
    if not path.is_file():
        raise CleftEdgeError(f"{folder} has no {MANIFEST}", "a bundle folder made by 'cleftedge build'",
                             "point at the bundle folder or its .tar.gz")
    manifest = read_json_object(path, "bundle manifest", "a bundle manifest", "rebuild the bundle",
                                "rebuild the bundle")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise CleftEdgeError(f"{path} lacks '{missing[0]}'", "a complete bundle manifest", "rebuild the bundle")
    if not isinstance(manifest["schema"], int) or manifest["schema"] > SCHEMA:
        raise CleftEdgeError(f"bundle schema {manifest['schema']!r} is not one this cleftedge knows",
                             f"schema {SCHEMA} or older", "upgrade cleftedge on this cart")
    if manifest["schema"] >= 2 and (isinstance(manifest.get("release"), bool) or
                                    not isinstance(manifest.get("release"), int) or manifest["release"] < 1):
        raise CleftEdgeError(f"{path}: 'release' is {manifest.get('release')!r}", "a release number from 1 up",
                             "rebuild the bundle (cleftedge build --release N)")
    problem = manifest_problem(manifest)
    if problem:
        raise CleftEdgeError(f"{path}: {problem}", "a bundle manifest made by 'cleftedge build'", "rebuild the bundle")
    return manifest


def manifest_problem(m: dict) -> str | None:
    """What is structurally wrong with a manifest (None when sound): every file the cart will open
    must be a plain relative path listed, with its hash, in "files"."""
    files = m["files"]
    if not isinstance(files, dict) or not all(isinstance(v, str) and len(v) == 64 for v in files.values()):
        return "'files' is not a map of path -> SHA-256"
    bad = [rel for rel in files if not _plain_relative(rel)]
    if bad:
        return f"file path {bad[0]!r} is not a plain relative path inside the bundle"
    engine = m["engine"].get("path") if isinstance(m["engine"], dict) else None
    if engine not in files:
        return f"the engine {engine!r} is not among the hashed files"
    golden = m["golden"]
    if not isinstance(golden, dict) or not isinstance(golden.get("frames"), list) or \
            not isinstance(golden.get("tolerance"), (int, float)):
        return "'golden' lacks its frames or tolerance"
    for g in golden["frames"]:
        if not isinstance(g, dict) or g.get("file") not in files or not isinstance(g.get("score"), (int, float)):
            return f"golden frame {g!r} is not a hashed file with a score"
    return None


def _plain_relative(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and "\\" not in rel and all(p not in ("", ".", "..") for p in parts)


def unknown_fields(manifest: dict) -> list[str]:
    """The manifest's keys that FIELDS does not define, sorted (a writer must add a field to FIELDS first)."""
    return sorted(set(manifest) - set(FIELDS))
