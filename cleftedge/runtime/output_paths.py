"""Output paths checked before a scan starts: a bad --summary must not fail after the whole scan."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cleftedge.errors import CleftEdgeError


def check_output_path(path: str, flag: str) -> None:
    """One-line CleftEdgeError unless `path` can be written: not a folder, its folder exists and
    takes a new file (tried for real: permissions alone do not say so for root or a read-only mount)."""
    p = Path(path)
    if p.is_dir():
        raise CleftEdgeError(f"{flag} {path} is a folder", "a file name", f"e.g. {flag} {p / ('out' + _suffix(flag))}")
    parent = p.parent
    if not parent.exists():
        raise CleftEdgeError(f"{flag} {path}: the folder {parent} does not exist", "a file in an existing folder",
                             f"create it first (mkdir -p {parent}) or give another path")
    if not parent.is_dir():
        raise CleftEdgeError(f"{flag} {path}: {parent} is not a folder", "a file in an existing folder",
                             "give another path")
    if p.exists() and not os.access(p, os.W_OK):
        raise CleftEdgeError(f"{flag} {path} is not writable", "a file this user can write",
                             "fix its permissions or give another path")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CleftEdgeError(f"{flag} {path}: cannot write in {parent} ({exc.strerror or exc})",
                             "a folder this user can write", "fix its permissions or give another path") from None


def _suffix(flag: str) -> str:
    return {"--events": ".jsonl", "--summary": ".json", "--report": ".html", "--annotate": ".mp4"}.get(flag, "")
