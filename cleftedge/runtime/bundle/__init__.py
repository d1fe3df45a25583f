"""The cart side of bundles: read, verify (hashes, signature, machine, QA, known answers) and open.
No torch, export or calibration imports here."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.manifest import MANIFEST

if TYPE_CHECKING:
    from cleftedge.spec import ModelSpec

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


def is_bundle(path: str | os.PathLike) -> bool:
    """Whether `path` is a bundle: a folder with a manifest, or a .tar.gz/.tgz (not opened to tell)."""
    p = Path(path)
    return (p.is_dir() and (p / MANIFEST).is_file()) or p.name.lower().endswith(ARCHIVE_SUFFIXES)


def bundle_folder(path: str | os.PathLike) -> Path:
    """The bundle's folder; a .tar.gz is unpacked (safely) into a new folder private to this user
    and this process, removed when the process ends (see `opened` to remove it sooner). The
    unpacked files are verified like any folder, every time."""
    p = Path(path)
    if p.is_dir():
        return p
    if not p.is_file():
        raise CleftEdgeError(f"bundle {p} does not exist", "a bundle folder or .tar.gz", "check the path")
    from cleftedge.runtime.bundle.unpack import unpack

    return unpack(p)


@contextlib.contextmanager
def opened(path: str | os.PathLike) -> Iterator[Path]:
    """`bundle_folder(path)` for the length of a `with` block: an unpacked archive is removed at its end."""
    from cleftedge.runtime.bundle.unpack import discard

    folder = bundle_folder(path)
    try:
        yield folder
    finally:
        discard(folder)


def open_verified(path: str | os.PathLike, trust_store: str | os.PathLike | None = None,
                  allow_unsigned: bool = False, purpose: str = "run",
                  allow_rollback: bool = False) -> tuple[Path, ModelSpec, dict[str, Any]]:
    """Verify a bundle and return (engine path, spec, manifest); refuse it with its first failure.

    purpose="run" records the release as run on this cart (see releases.py); the manifest returned
    then carries "cart": what this verification found (release, highest before, whether a rollback
    was allowed, the signing key), for the session's events. It is never written back.
    purpose="qa": QA judges a bundle before its QA report is attached and before it is signed
    (attaching changes the manifest), so those checks and the release check wait; hashes, machine
    and known answers still run. purpose="qa_proxy": QA judges a bundle for a device this machine
    lacks (a GPU or NPU bundle on a CPU) as a PROXY, so the machine and known-answer checks (made for
    that device) wait too; the hashes still run."""
    from cleftedge.runtime.bundle.releases import record_run, release_of, rollback_problem
    from cleftedge.runtime.bundle.unpack import discard
    from cleftedge.runtime.bundle.verify import verify_folder
    from cleftedge.spec import ModelSpec

    folder = bundle_folder(path)
    v = verify_folder(folder, trust_store, allow_unsigned or purpose in ("qa", "qa_proxy"),
                      allow_rollback=allow_rollback)
    skip = {"qa": {"qa", "signature", "release"},
            "qa_proxy": {"qa", "signature", "release", "machine", "known answers"}}.get(purpose, set())
    failed = [c for c in v.checks if not c.ok and c.name not in skip]
    if failed:
        discard(folder)
        raise CleftEdgeError(f"bundle {Path(path).name} failed verification: {failed[0].line}",
                             "a bundle that passes 'cleftedge bundle verify'",
                             "run 'cleftedge bundle verify' for every check; rebuild or re-sign it")
    spec = ModelSpec.from_dict(v.manifest["spec"], "bundle manifest")
    manifest = v.manifest
    if purpose == "run":
        rollback, _, highest = rollback_problem(manifest)
        record_run(manifest["model"]["name"], release_of(manifest), manifest["engine"]["sha256"])
        manifest = {**manifest, "cart": {"release": release_of(manifest), "highest_run_before": highest,
                                         "rollback_allowed": rollback is not None,
                                         "checks": [c.__dict__ for c in v.checks]}}
    return folder / v.manifest["engine"]["path"], spec, manifest
