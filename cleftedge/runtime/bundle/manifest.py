"""The bundle manifest: what is in a bundle and how it was made. JSON, schema-versioned."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file

SCHEMA = 1
MANIFEST = "manifest.json"
NOT_HASHED = {MANIFEST, "signature.json"}  # the manifest holds the hashes; the signature covers the manifest
REQUIRED = ("schema", "model", "spec", "profile", "backend", "device", "precision", "files", "engine", "toolkit",
            "target", "golden", "created")


def hash_files(folder: Path) -> dict[str, str]:
    """relative path -> SHA-256 for every file in the bundle except the manifest and signature."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in NOT_HASHED:
            out[rel] = sha256_file(p)
    return out


def engine_identity(path: Path) -> str:
    """The hash QA reports and bundles agree on: SHA-256 of the engine file; for an OpenVINO IR, of
    the .xml's and the .bin's hashes together."""
    import hashlib

    if path.suffix.lower() == ".xml":
        return hashlib.sha256((sha256_file(path) + sha256_file(path.with_suffix(".bin"))).encode()).hexdigest()
    return sha256_file(path)


def load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise CleftEdgeError(f"{folder} has no {MANIFEST}", "a bundle folder made by 'cleftedge build'",
                             "point at the bundle folder or its .tar.gz")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CleftEdgeError(f"{path} is not valid JSON ({exc})", "a bundle manifest", "rebuild the bundle") from None
    if not isinstance(manifest, dict):
        raise CleftEdgeError(f"{path} is not a JSON object", "a bundle manifest", "rebuild the bundle")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise CleftEdgeError(f"{path} lacks '{missing[0]}'", "a complete bundle manifest", "rebuild the bundle")
    if manifest["schema"] > SCHEMA:
        raise CleftEdgeError(f"bundle schema {manifest['schema']} is newer than this cleftedge knows",
                             f"schema {SCHEMA} or older", "upgrade cleftedge on this cart")
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    from cleftedge.atomic import write_text

    write_text(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
