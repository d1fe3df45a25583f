"""Unpack a bundle .tar.gz safely: no links, no devices, no path that leaves the target folder, a
damaged archive in one line; into a folder private to this user and this process, removed again
when the command ends."""

from __future__ import annotations

import atexit
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.private_dirs import ensure_private_dir, uid

PREFIX = "unpack-"
_ours: set[Path] = set()  # unpacked by this process: removed at exit (or earlier by discard)


def unpack_root() -> Path:
    """The per-user folder unpacked bundles go to: $XDG_RUNTIME_DIR/cleftedge (a per-user tmpfs on
    systemd machines), else <tmp>/cleftedge-<uid>. Created 0700; refused if another user or a
    group can write to it."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "cleftedge" if runtime and Path(runtime).is_dir() else \
        Path(tempfile.gettempdir()) / f"cleftedge-{uid()}"
    return ensure_private_dir(base, "folder for unpacked bundles")


def unpack(archive: Path) -> Path:
    """Unpack into a new private folder (0700, this process's, removed at exit); return the bundle
    folder inside it. A refused or damaged archive leaves nothing behind."""
    root = unpack_root()
    _sweep(root)
    target = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root))
    _ours.add(target)
    try:
        return safe_extract(archive, target)
    except BaseException:
        discard(target)
        raise


def discard(folder: Path) -> None:
    """Remove the folder `unpack` made that holds `folder` (no-op for any other folder)."""
    folder = Path(folder)
    for top in [t for t in _ours if t == folder or t in folder.parents]:
        shutil.rmtree(top, ignore_errors=True)
        _ours.discard(top)


@atexit.register
def _discard_all() -> None:
    for folder in list(_ours):
        discard(folder)


def _sweep(root: Path) -> None:
    """Remove what processes that are gone (killed before their exit handler ran) left behind."""
    for entry in root.glob(f"{PREFIX}*"):
        try:
            pid = int(entry.name[len(PREFIX):].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def safe_extract(archive: Path, target: Path) -> Path:
    """Extract into `target`; return the bundle folder inside it (the one holding manifest.json)."""
    damaged = (tarfile.TarError, EOFError, zlib.error, OSError)
    try:
        tar = tarfile.open(archive, "r:gz")
    except damaged as exc:
        raise _unreadable(archive, exc) from None
    root = target.resolve()
    try:
        with tar:
            members = tar.getmembers()  # reads the whole archive: a truncated one fails here
            for m in members:
                _check_member(archive, root, m)
            tar.extractall(root, members=members, filter="data")
    except CleftEdgeError:
        raise
    except damaged as exc:
        raise _unreadable(archive, exc) from None
    manifests = sorted(root.rglob("manifest.json"), key=lambda m: len(m.parts))
    if not manifests:
        raise CleftEdgeError(f"{archive.name} holds no manifest.json", "a bundle archive",
                             "rebuild it with 'cleftedge bundle pack'")
    return manifests[0].parent


def _check_member(archive: Path, root: Path, m: tarfile.TarInfo) -> None:
    if m.issym() or m.islnk():
        raise CleftEdgeError(f"{archive.name} holds a link ({m.name})", "plain files and folders only",
                             "rebuild the bundle with 'cleftedge bundle pack'")
    if not (m.isfile() or m.isdir()):
        raise CleftEdgeError(f"{archive.name} holds a special file ({m.name})", "plain files and folders only",
                             "rebuild the bundle with 'cleftedge bundle pack'")
    dest = (root / m.name).resolve()
    if dest != root and root not in dest.parents:
        raise CleftEdgeError(f"{archive.name} holds a path that leaves the folder ({m.name})",
                             "paths inside the bundle", "do not use this archive; rebuild the bundle")


def _unreadable(archive: Path, exc: BaseException) -> CleftEdgeError:
    detail = str(exc) or type(exc).__name__
    return CleftEdgeError(f"{archive} is not a readable .tar.gz ({detail}): truncated or damaged",
                          "a whole bundle archive made by 'cleftedge bundle pack'", "copy the file again")
