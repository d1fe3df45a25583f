"""Annotated frames for the video and the live page: the sector only (carts burn patient names
into the overlays, so everything outside the fan is black), the heat map over flagged frames, a
score bar with the threshold, and a calm banner while an alert is active."""

from __future__ import annotations

import cv2
import numpy as np

from cleftedge.runtime.preprocess import Geometry
from cleftedge.runtime.sector import Sector, sector_mask

AMBER = (65, 164, 217)  # BGR


class Annotator:
    def __init__(self, input_size: tuple[int, int]):
        self.input_w, self.input_h = input_size
        self._mask_for: tuple | None = None
        self._mask: np.ndarray | None = None

    def mask(self, image: np.ndarray, sector: Sector | None) -> np.ndarray:
        key = (image.shape[:2], None if sector is None else sector.box)
        if key != self._mask_for:
            self._mask = sector_mask(image, sector)
            self._mask_for = key
        return self._mask

    def __call__(self, image: np.ndarray, score: float, threshold: float, alert_active: bool,
                 heatmap: np.ndarray | None = None, geometry: Geometry | None = None,
                 sector: Sector | None = None) -> np.ndarray:
        img = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        mask = self.mask(img, sector)
        out = cv2.bitwise_and(img, img, mask=mask)
        if heatmap is not None and geometry is not None and score >= threshold:
            self._overlay_heat(out, heatmap, geometry, mask)
        self._score_bar(out, score, threshold)
        if alert_active:
            self._banner(out)
        return out

    def _overlay_heat(self, out, heatmap, g: Geometry, mask) -> None:
        cam = np.maximum(heatmap.astype(np.float32), 0)
        if cam.max() <= 0:
            return
        cam = cv2.resize(cam / cam.max(), (self.input_w, self.input_h), interpolation=cv2.INTER_LINEAR)
        x0, y0, x1, y1 = g.roi
        nw, nh = round((x1 - x0) * g.scale_x), round((y1 - y0) * g.scale_y)
        cam = cam[g.pad_y:g.pad_y + nh, g.pad_x:g.pad_x + nw]
        if cam.size == 0 or x1 <= x0 or y1 <= y0:
            return
        cam = cv2.resize(cam, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        colour = cv2.applyColorMap((cam * 255).astype(np.uint8), cv2.COLORMAP_JET)
        region = out[y0:y1, x0:x1]
        alpha = (0.45 * cam)[..., None] * (mask[y0:y1, x0:x1, None] > 0)
        region[:] = (region * (1 - alpha) + colour * alpha).astype(np.uint8)

    @staticmethod
    def _score_bar(out, score, threshold) -> None:
        h, w = out.shape[:2]
        x0, x1, y = 10, w - 10, h - 14
        cv2.rectangle(out, (x0, y - 6), (x1, y + 6), (60, 60, 60), -1)
        fill = x0 + int((x1 - x0) * float(np.clip(score, 0, 1)))
        cv2.rectangle(out, (x0, y - 6), (fill, y + 6), AMBER if score >= threshold else (209, 155, 92), -1)
        tx = x0 + int((x1 - x0) * threshold)
        cv2.line(out, (tx, y - 10), (tx, y + 10), (240, 240, 240), 2)
        cv2.putText(out, f"cleft score {score:.2f}", (x0, y - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (240, 240, 240), 1, cv2.LINE_AA)

    @staticmethod
    def _banner(out) -> None:
        w = out.shape[1]
        cv2.rectangle(out, (0, 0), (w, 34), (23, 47, 58), -1)
        cv2.rectangle(out, (0, 0), (6, 34), AMBER, -1)
        cv2.putText(out, "Suspected cleft: review the upper lip", (16, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.65,
                    (235, 235, 235), 1, cv2.LINE_AA)
