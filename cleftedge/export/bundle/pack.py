"""Pack a bundle folder into a .tar.gz for shipping (plain files only, under one top folder)."""

from __future__ import annotations

import tarfile
from pathlib import Path

from cleftedge.atomic import atomic_path
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.manifest import bundle_files


def pack(folder: Path, archive: Path) -> Path:
    """A .tar.gz of the bundle for shipping: plain files only, under one top folder."""
    if not (folder / "manifest.json").is_file():
        raise CleftEdgeError(f"{folder} is not a bundle folder", "a folder made by 'cleftedge build'", "check BUNDLE")
    with atomic_path(archive) as tmp:
        with tarfile.open(tmp, "w:gz") as tar:
            for rel in bundle_files(folder):  # refuses a link anywhere in the folder
                tar.add(folder / rel, arcname=f"{folder.name}/{rel}", recursive=False)
    return archive
