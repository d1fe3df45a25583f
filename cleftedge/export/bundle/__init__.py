"""The build host side of bundles: write them. `build.build_bundle` (engine, golden frames, manifest),
`pack.pack` (.tar.gz), `sign.sign_folder` (signature.json), `attest.attach_qa` (the QA attestation).
The cart side, which reads them (manifest, verify, unpack), is `cleftedge.runtime.bundle`; the
manifest's fields are defined once there (`runtime.bundle.manifest.FIELDS`) and `write_manifest`
refuses a field that table does not name."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.atomic import write_text
from cleftedge.runtime.bundle.manifest import MANIFEST, REQUIRED, unknown_fields


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write `manifest` as `folder`/manifest.json (atomic, sorted keys). A field that
    `runtime.bundle.manifest.FIELDS` does not define, or a required one missing, is a bug in the
    writer: ValueError, and nothing is written."""
    unknown = unknown_fields(manifest)
    missing = [k for k in REQUIRED if k not in manifest]
    if unknown or missing:
        raise ValueError(f"manifest fields not in runtime.bundle.manifest.FIELDS: {unknown}; missing: {missing}")
    write_text(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
