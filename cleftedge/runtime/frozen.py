"""A frozen image (the sonographer froze the screen or reviews a cine): identical frames in a row.
Compared on a small grey copy, so it is cheap and blind to codec noise."""

from __future__ import annotations

import cv2
import numpy as np

THUMB = (40, 30)


class FrozenDetector:
    """Tells a frozen image from a live one, one frame at a time."""

    def __init__(self, tolerance: float = 1.0, min_run: int = 3):
        self.tolerance = tolerance  # mean absolute grey difference that still counts as identical
        self.min_run = min_run  # identical frames in a row before the image counts as frozen
        self._last: np.ndarray | None = None
        self._run = 0

    def update(self, image: np.ndarray) -> bool:
        """Take the next frame; True while each of the last `min_run` frames matched the one before it
        (mean grey difference within `tolerance`)."""
        # every 4th pixel, then area-averaged to 40x30: a fraction of the cost of converting the full frame
        thumb = cv2.resize(np.ascontiguousarray(image[::4, ::4]), THUMB, interpolation=cv2.INTER_AREA)
        if thumb.ndim == 3:
            thumb = cv2.cvtColor(thumb, cv2.COLOR_BGR2GRAY)
        thumb = thumb.astype(np.int16)
        same = self._last is not None and thumb.shape == self._last.shape and \
            float(np.abs(thumb - self._last).mean()) <= self.tolerance
        self._run = self._run + 1 if same else 0
        self._last = thumb
        return self._run >= self.min_run
