"""`bundle sign` and `build --sign-key`: sign a bundle folder's manifest (signature.json), only
while its files still match the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.atomic import write_text
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.manifest import load_manifest
from cleftedge.runtime.bundle.signing import SIGNATURE_FILE, sign_as
from cleftedge.runtime.bundle.verify import ROLE, Verification, check_files


def sign_folder(folder: Path, key_path: str, passphrase_file: str | None = None) -> str:
    """Sign the bundle `folder` with the private key at `key_path` (role "bundle"); returns the key id.
    Warnings about the key (it expires soon) are printed; a bundle changed since its manifest, or a
    key that cannot sign, is a one-line CleftEdgeError and nothing is written."""
    manifest = load_manifest(folder)
    v = Verification(folder, manifest)
    check_files(v)  # a signature vouches for the files: never sign a bundle changed since its manifest
    if not v.ok:
        raise CleftEdgeError(f"cannot sign {folder}: {v.checks[0].line}", "a bundle whose files match its manifest",
                             "rebuild the bundle (or attach QA again) before signing")
    signature, warnings = sign_as(manifest, key_path, ROLE, passphrase_file)
    for warning in warnings:
        print(f"warning: {warning}")
    write_text(folder / SIGNATURE_FILE, json.dumps(signature, indent=2) + "\n")
    return signature["key_id"]
