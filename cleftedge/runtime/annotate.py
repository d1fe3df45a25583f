"""Annotated frames for the video and the live page: the sector only (carts burn patient names
into the overlays, so everything outside the fan is black), the heat map over flagged frames, a
score bar with the threshold, and a calm banner while an alert is active."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cleftedge.runtime.preprocess import Geometry
from cleftedge.runtime.scoring import flagged
from cleftedge.runtime.sector import Sector, sector_mask

AMBER = (65, 164, 217)  # BGR
HEAT_STYLES = ("outline", "overlay", "fill", "off")  # fill: the video's saturated map; outline keeps the lip visible
OUTLINE_LEVELS = (0.5, 0.75)  # contours at these fractions of the map's peak


@dataclass(frozen=True)
class FrameLayers:
    """One frame taken apart: the masked image (outside the sector black) and the heat map at image
    size (0..1, zero outside the sector), present only on flagged frames of a model that has one."""

    masked: np.ndarray
    heat: np.ndarray | None = None


def draw_heat(image: np.ndarray, heat: np.ndarray | None, style: str = "outline") -> np.ndarray:
    """A copy of `image` with the heat map drawn in `style` (one of HEAT_STYLES)."""
    out = image.copy()
    if heat is None or style == "off":
        return out
    if style == "outline":
        for level, colour in zip(OUTLINE_LEVELS, ((0, 215, 255), AMBER), strict=True):
            contours, _ = cv2.findContours((heat >= level).astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, contours, -1, colour, 2 if level == OUTLINE_LEVELS[-1] else 1, cv2.LINE_AA)
        return out
    x, y, w, h = cv2.boundingRect((heat > 0.02).astype(np.uint8))  # only where there is heat: cheap
    if not w or not h:
        return out
    cam = heat[y:y + h, x:x + w]
    coloured = cv2.applyColorMap((cam * 255).astype(np.uint8), cv2.COLORMAP_JET)
    alpha = (np.float32(0.45 if style == "fill" else 0.22) * cam)[..., None]
    region = out[y:y + h, x:x + w]
    region[:] = (region * (1 - alpha) + coloured * alpha).astype(np.uint8)
    return out


class Annotator:
    """Draws a frame as the video and the live page show it, for a model of this input size (w, h)."""

    def __init__(self, input_size: tuple[int, int]) -> None:
        self.input_w, self.input_h = input_size
        self._mask_for: tuple | None = None
        self._mask: np.ndarray | None = None

    def mask(self, image: np.ndarray, sector: Sector | None) -> np.ndarray:
        """The fan mask of this image size and sector (255 inside), cached while neither changes."""
        key = (image.shape[:2], None if sector is None else sector.box)
        if self._mask is None or key != self._mask_for:
            self._mask = sector_mask(image, sector)
            self._mask_for = key
        return self._mask

    def __call__(self, image: np.ndarray, score: float, threshold: float, alert_active: bool,
                 heatmap: np.ndarray | None = None, geometry: Geometry | None = None,
                 sector: Sector | None = None) -> np.ndarray:
        """The annotated frame in one call: `layers`, then `compose`."""
        return self.compose(self.layers(image, score, threshold, heatmap, geometry, sector), score, threshold,
                            alert_active)

    def layers(self, image: np.ndarray, score: float, threshold: float, heatmap: np.ndarray | None = None,
               geometry: Geometry | None = None, sector: Sector | None = None) -> FrameLayers:
        """The masked frame and, on a flagged frame, its heat map at image size."""
        img = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        mask = self.mask(img, sector)
        masked = cv2.bitwise_and(img, img, mask=mask)
        heat = None
        if heatmap is not None and geometry is not None and flagged(score, threshold):
            heat = self._heat_layer(masked.shape[:2], heatmap, geometry, mask)
        return FrameLayers(masked, heat)

    def compose(self, layers: FrameLayers, score: float, threshold: float, alert_active: bool,
                heat_style: str = "fill") -> np.ndarray:
        """The annotated frame of the video: heat map, score bar, and the banner while an alert is up."""
        out = draw_heat(layers.masked, layers.heat, heat_style)
        self._score_bar(out, score, threshold)
        if alert_active:
            self._banner(out)
        return out

    def _heat_layer(self, shape: tuple[int, int], heatmap: np.ndarray, g: Geometry,
                    mask: np.ndarray) -> np.ndarray | None:
        cam = np.maximum(heatmap.astype(np.float32), 0)
        if cam.max() <= 0:
            return None
        cam = cv2.resize(cam / cam.max(), (self.input_w, self.input_h), interpolation=cv2.INTER_LINEAR)
        x0, y0, x1, y1 = g.roi
        nw, nh = round((x1 - x0) * g.scale_x), round((y1 - y0) * g.scale_y)
        cam = cam[g.pad_y:g.pad_y + nh, g.pad_x:g.pad_x + nw]
        if cam.size == 0 or x1 <= x0 or y1 <= y0:
            return None
        layer = np.zeros(shape, np.float32)
        cam = cv2.resize(cam, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        layer[y0:y1, x0:x1] = np.clip(cam, 0, 1) * (mask[y0:y1, x0:x1] > 0)
        return layer

    @staticmethod
    def _score_bar(out: np.ndarray, score: float, threshold: float) -> None:
        h, w = out.shape[:2]
        x0, x1, y = 10, w - 10, h - 14
        cv2.rectangle(out, (x0, y - 6), (x1, y + 6), (60, 60, 60), -1)
        fill = x0 + int((x1 - x0) * float(np.clip(score, 0, 1)))
        cv2.rectangle(out, (x0, y - 6), (fill, y + 6), AMBER if flagged(score, threshold) else (209, 155, 92), -1)
        tx = x0 + int((x1 - x0) * threshold)
        cv2.line(out, (tx, y - 10), (tx, y + 10), (240, 240, 240), 2)
        cv2.putText(out, f"cleft score {score:.2f}", (x0, y - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (240, 240, 240), 1, cv2.LINE_AA)

    @staticmethod
    def _banner(out: np.ndarray) -> None:
        w = out.shape[1]
        cv2.rectangle(out, (0, 0), (w, 34), (23, 47, 58), -1)
        cv2.rectangle(out, (0, 0), (6, 34), AMBER, -1)
        cv2.putText(out, "Suspected cleft: review the upper lip", (16, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.65,
                    (235, 235, 235), 1, cv2.LINE_AA)
