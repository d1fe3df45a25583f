"""Unpack a bundle .tar.gz safely: no links, no devices, no path that leaves the target folder."""

from __future__ import annotations

import tarfile
from pathlib import Path

from cleftedge.errors import CleftEdgeError


def safe_extract(archive: Path, target: Path) -> Path:
    """Extract into `target`; return the bundle folder inside it (the one holding manifest.json)."""
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise CleftEdgeError(f"{archive} is not a readable .tar.gz ({exc})", "a bundle made by 'cleftedge bundle pack'",
                             "copy the file again") from None
    root = target.resolve()
    with tar:
        members = tar.getmembers()
        for m in members:
            dest = (root / m.name).resolve()
            if m.issym() or m.islnk():
                raise CleftEdgeError(f"{archive.name} holds a link ({m.name})", "plain files and folders only",
                                     "rebuild the bundle with 'cleftedge bundle pack'")
            if not (m.isfile() or m.isdir()):
                raise CleftEdgeError(f"{archive.name} holds a special file ({m.name})", "plain files and folders only",
                                     "rebuild the bundle with 'cleftedge bundle pack'")
            if dest != root and root not in dest.parents:
                raise CleftEdgeError(f"{archive.name} holds a path that leaves the folder ({m.name})",
                                     "paths inside the bundle", "do not use this archive; rebuild the bundle")
        tar.extractall(root, members=members, filter="data")
    manifests = sorted(root.rglob("manifest.json"))
    if not manifests:
        raise CleftEdgeError(f"{archive.name} holds no manifest.json", "a bundle archive", "rebuild the bundle")
    return manifests[0].parent
