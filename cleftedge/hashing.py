"""SHA-256 of files, streamed."""

import hashlib
import os

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 (hex) of a file, read in 1 MiB chunks so memory does not grow with its size."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()
