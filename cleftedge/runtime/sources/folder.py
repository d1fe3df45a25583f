"""A folder of images played as a sequence: png, jpg, bmp, tif, in natural name order
(frame2 before frame10). Every file's signature is checked when the folder is opened, so a
non-image file with an image name fails at open time, not halfway through a session."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Source

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(folder: str | Path) -> list[Path]:
    files = sorted((p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                   key=natural_key)
    if not files:
        raise CleftEdgeError(f"folder {folder} holds no images", "png, jpg, bmp or tif files",
                             "point --source at the folder with the frames")
    bad = [p.name for p in files if not cv2.haveImageReader(str(p))]
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise CleftEdgeError(f"folder {folder} has files that are not images: {', '.join(bad[:3])}{more}",
                             "only readable png, jpg, bmp or tif files under image names",
                             "remove or re-export those files")
    return files


def read_image(path: Path) -> np.ndarray:
    """An image file -> uint8 grey or BGR (alpha dropped, 16-bit scaled by its bit range)."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise CleftEdgeError(f"{path} is not a readable image", "png, jpg, bmp or tif", "remove or fix the file")
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.dtype == np.uint16:  # the whole 16-bit range, the same for every frame (no flicker)
        img = (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return np.ascontiguousarray(img)


class ImageFolder(Source):
    name = "folder"

    def __init__(self, path: str, realtime: bool = False, fps: float | None = None):
        super().__init__(path, realtime)
        self.files = list_images(path)
        self.fps = fps  # a folder has no frame rate of its own; realtime pacing needs fps=
        self._pos = 0

    def _next(self):
        if self._pos >= len(self.files):
            return None
        path = self.files[self._pos]
        self._pos += 1
        return read_image(path), None, None

    def describe(self) -> dict:
        return {**super().describe(), "frames": len(self.files)}
