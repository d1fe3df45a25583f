"""A folder of images (sorted by name): png, jpg, bmp, tif."""

from __future__ import annotations

from pathlib import Path

import cv2

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Source

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class ImageFolder(Source):
    name = "folder"

    def __init__(self, path: str, realtime: bool = False, fps: float | None = None):
        super().__init__(path, realtime)
        self.files = sorted(p for p in Path(path).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise CleftEdgeError(f"folder {path} holds no images", "png, jpg, bmp or tif files",
                                 "point --source at the folder with the frames")
        self.fps = fps
        self._pos = 0

    def _next(self):
        if self._pos >= len(self.files):
            return None
        path = self.files[self._pos]
        self._pos += 1
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise CleftEdgeError(f"{path} is not a readable image", "png, jpg, bmp or tif", "remove or fix the file")
        if img.ndim == 3 and img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
        if img.dtype != "uint8":
            img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype("uint8")
        return img, None, None
