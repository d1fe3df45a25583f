"""The cart side of bundles: read, verify (hashes, signature, machine, QA, known answers) and open.
No torch, export or calibration imports here."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.manifest import MANIFEST

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


def is_bundle(path: str | os.PathLike) -> bool:
    p = Path(path)
    return (p.is_dir() and (p / MANIFEST).is_file()) or p.name.lower().endswith(ARCHIVE_SUFFIXES)


def bundle_folder(path: str | os.PathLike) -> Path:
    """The bundle's folder; a .tar.gz is unpacked (safely) into a per-user cache folder keyed by the
    archive's hash. The unpacked files are verified like any folder, every time."""
    from cleftedge.atomic import atomic_dir
    from cleftedge.hashing import sha256_file
    from cleftedge.runtime.bundle.unpack import safe_extract

    p = Path(path)
    if p.is_dir():
        return p
    if not p.is_file():
        raise CleftEdgeError(f"bundle {p} does not exist", "a bundle folder or .tar.gz", "check the path")
    user = os.getuid() if hasattr(os, "getuid") else 0
    target = Path(tempfile.gettempdir()) / f"cleftedge-bundles-{user}" / sha256_file(p)[:24]
    if not target.is_dir():
        with atomic_dir(target) as tmp:  # a failed or refused unpack leaves nothing behind
            safe_extract(p, tmp)
    manifests = sorted(target.rglob(MANIFEST), key=lambda m: len(m.parts))
    if not manifests:
        raise CleftEdgeError(f"{p.name} holds no {MANIFEST}", "a bundle archive",
                             "rebuild it with 'cleftedge bundle pack'")
    return manifests[0].parent


def open_verified(path, trust_store=None, allow_unsigned: bool = False, purpose: str = "run"):
    """Verify a bundle and return (engine path, spec, manifest); refuse it with its first failure.

    purpose="qa": QA judges a bundle before its QA report is attached and before it is signed
    (attaching changes the manifest), so those two checks wait; hashes, machine and known answers
    still run. purpose="qa_proxy": QA judges a bundle for a device this machine lacks (a GPU or NPU
    bundle on a CPU) as a PROXY, so the machine and known-answer checks (made for that device) wait
    too; the hashes still run."""
    from cleftedge.runtime.bundle.verify import verify_folder
    from cleftedge.spec import ModelSpec

    folder = bundle_folder(path)
    v = verify_folder(folder, trust_store, allow_unsigned or purpose in ("qa", "qa_proxy"))
    skip = {"qa": {"qa", "signature"}, "qa_proxy": {"qa", "signature", "machine", "known answers"}}.get(purpose, set())
    failed = [c for c in v.checks if not c.ok and c.name not in skip]
    if failed:
        raise CleftEdgeError(f"bundle {Path(path).name} failed verification: {failed[0].line}",
                             "a bundle that passes 'cleftedge bundle verify'",
                             "run 'cleftedge bundle verify' for every check; rebuild or re-sign it")
    spec = ModelSpec.from_dict(v.manifest["spec"], "bundle manifest")
    return folder / v.manifest["engine"]["path"], spec, v.manifest
