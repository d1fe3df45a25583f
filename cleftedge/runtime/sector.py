"""Find the ultrasound sector (the fan) in a frame and keep its crop steady over time.

Vendor overlays (text, rulers, icons, patient names) sit outside the fan, separated from it by
black. The fan is the largest bright connected region of a downscaled, thresholded frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 160  # detection runs on a small copy: cheap, and blind to speckle


@dataclass(frozen=True)
class Sector:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels (x1, y1 exclusive)
    hull: np.ndarray  # convex hull of the fan, int32 (K, 1, 2) in frame pixels


def _grey(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return frame


def find_sector(frame: np.ndarray, threshold: int = 4, min_fraction: float = 0.08) -> Sector | None:
    """Return the fan's box and hull, or None for a blank or black frame."""
    grey = _grey(frame)
    h, w = grey.shape
    f = WORK_WIDTH / w if w > WORK_WIDTH else 1.0
    small = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    mask: np.ndarray = (small > threshold).astype(np.uint8)
    # Opening removes thin overlay strokes (text, ruler ticks) so they cannot join the fan;
    # closing then fills small dark holes (anechoic fluid, dropouts) so the fan stays one region.
    kernel = np.ones((3, 3), np.uint8)
    mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)
    # BBDT labelling: the same regions as the default, in half the time on one thread
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)
    if n <= 1:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < min_fraction * mask.size:
        return None
    x, y, bw, bh = (int(v) for v in stats[best, :4])
    inv = 1.0 / f
    box = (
        max(0, int(np.floor(x * inv))),
        max(0, int(np.floor(y * inv))),
        min(w, int(np.ceil((x + bw) * inv))),
        min(h, int(np.ceil((y + bh) * inv))),
    )
    hull = np.round(cv2.convexHull(_row_ends(labels == best)).astype(np.float32) * inv).astype(np.int32)
    return Sector(box=box, hull=hull)


def _row_ends(region: np.ndarray) -> np.ndarray:
    """The leftmost and rightmost pixel of each row of a region, int32 (K, 1, 2). Their convex hull
    is the region's, and computing it from these few points instead of every pixel of the fan
    takes a tenth of the time (QA finds the fan in every frame)."""
    rows = np.flatnonzero(region.any(axis=1))
    inside = region[rows]
    left = inside.argmax(axis=1)
    right = inside.shape[1] - 1 - inside[:, ::-1].argmax(axis=1)
    ends = np.concatenate([np.stack([left, rows], 1), np.stack([right, rows], 1)])
    return ends.astype(np.int32).reshape(-1, 1, 2)


class SectorDetector:
    """Keeps the crop steady: a new box replaces the current one only when it differs by more than
    `tolerance` (fraction of the frame size) on `patience` frames in a row. Blank frames keep the
    last box; before any fan was seen the whole frame is used."""

    def __init__(self, tolerance: float = 0.03, patience: int = 5, threshold: int = 4, every: int = 1):
        self.every = max(1, every)  # look for the fan on every Nth frame only (it moves rarely)
        self._count = 0
        self.tolerance = tolerance
        self.patience = patience
        self.threshold = threshold
        self.current: Sector | None = None
        self._pending = 0
        self._shape: tuple[int, int] | None = None
        self._mask: np.ndarray | None = None
        self._mask_for: Sector | None = None

    def update(self, frame: np.ndarray) -> Sector | None:
        """Feed one frame; returns the steady sector now (None before any fan was seen)."""
        shape = frame.shape[:2]
        if shape != self._shape:  # a new video mode: forget the old geometry
            self._shape, self.current, self._pending, self._count = shape, None, 0, 0
        self._count += 1
        if self.current is not None and (self._count - 1) % self.every:
            return self.current
        found = find_sector(frame, self.threshold)
        if found is None:
            return self.current
        if self.current is None:
            self.current = found
            return found
        h, w = shape
        limit = self.tolerance * max(h, w)
        moved = max(abs(a - b) for a, b in zip(found.box, self.current.box, strict=True)) > limit
        if not moved:
            self._pending = 0
            return self.current
        self._pending += 1
        if self._pending >= self.patience:
            self.current, self._pending = found, 0
        return self.current

    def crop(self, frame: np.ndarray) -> tuple[Sector | None, tuple[int, int, int, int], np.ndarray | None]:
        """The steady sector of this frame (None when no fan was found yet), its crop box (the whole
        frame without a fan) and, inside the box, the fan mask (None without a fan). The box of a fan
        still holds its corners, where overlays sit: the mask blanks them."""
        sector = self.update(frame)
        if sector is None:
            h, w = frame.shape[:2]
            return None, (0, 0, w, h), None
        if self._mask_for is not sector:
            x0, y0, x1, y1 = sector.box
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
            cv2.fillConvexPoly(mask, sector.hull - np.array([x0, y0], np.int32), 255)
            self._mask, self._mask_for = mask, sector
        return sector, sector.box, self._mask


def sector_mask(frame: np.ndarray, sector: Sector | None = None) -> np.ndarray:
    """uint8 mask, 255 inside the fan and 0 outside (all 255 when no fan is found)."""
    h, w = frame.shape[:2]
    sector = sector if sector is not None else find_sector(frame)
    if sector is None:
        return np.full((h, w), 255, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, sector.hull, 255)
    return mask
