"""Folders only this user can change: where a cart unpacks bundles, keeps its compiled-model cache
and records the releases it has run. A folder another user (or a group) could write to would let
that user swap what the cart runs, so such a folder is refused, never "fixed" quietly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cleftedge.errors import CleftEdgeError


def uid() -> int:
    """This user's id (0 where the platform has none)."""
    return os.getuid() if hasattr(os, "getuid") else 0


def private_dir_problem(path: Path) -> str | None:
    """Why `path` (an existing folder) is not private to this user; None when it is."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a folder"
    if hasattr(os, "getuid") and st.st_uid != uid():
        return f"{path} belongs to user id {st.st_uid}, not to this user ({uid()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} can be written by its group or by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def ensure_private_dir(path: Path, what: str) -> Path:
    """`path`, created 0700 (with its parents) when missing; refused with one line when it exists
    and another user or a group could write to it."""
    path = Path(path)
    if not os.path.lexists(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:  # made by another process in the meantime: checked below like any
            pass
    problem = private_dir_problem(path)
    if problem:
        raise CleftEdgeError(f"the {what} {problem}", "a folder owned by this user that only this user can write to",
                             "remove it (or 'chmod go-w' it if it is yours); cleftedge creates it 0700")
    return path


def private_dir_or_none(path: Path) -> tuple[Path | None, str | None]:
    """Like ensure_private_dir for something optional (a cache): (path, None), or (None, why not)."""
    try:
        return ensure_private_dir(path, "folder"), None
    except CleftEdgeError as exc:
        return None, exc.what
    except OSError as exc:
        return None, f"{path} cannot be created ({exc.strerror})"
