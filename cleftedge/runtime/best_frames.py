"""The best few flagged frames per alert, kept for the session review: annotated JPEG bytes, the
model's heat map, and (when the frame comes taken apart) a small clean frame with its heat map as a
translucent layer and an outline. Bounded: a few frames per alert and a cap on the alerts remembered
(the store counts the alerts it had no room for, so the review can say so)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from cleftedge.runtime.annotate import OUTLINE_LEVELS, FrameLayers
from cleftedge.runtime.review.session_report import FlaggedFrame

REVIEW_WIDTH = 320  # the review shows frames this wide: a long session's report stays small
HEAT_SUBSAMPLE = 4  # the translucent layer is smooth: a quarter of the frame's resolution is plenty


def review_parts(layers: FrameLayers) -> dict[str, Any]:
    """A frame taken apart (annotate.FrameLayers) as the review shows it: the clean frame (JPEG), its
    heat map as a translucent BGRA PNG and as outlines (polygons in 0..1 image coordinates)."""
    img = layers.masked
    h, w = img.shape[:2]
    scale = min(1.0, REVIEW_WIDTH / w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA) if scale < 1 else img
    clean = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
    parts: dict[str, Any] = {"clean": clean, "size": size, "heat_png": None, "outline": ()}
    if layers.heat is None:
        return parts
    heat = cv2.resize(layers.heat, size, interpolation=cv2.INTER_AREA)
    lo = cv2.resize(heat, (max(1, size[0] // HEAT_SUBSAMPLE), max(1, size[1] // HEAT_SUBSAMPLE)),
                    interpolation=cv2.INTER_AREA)
    bgra = cv2.cvtColor(cv2.applyColorMap((lo * 255).astype(np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2BGRA)
    bgra[..., 3] = (np.clip(lo, 0, 1) * 110).astype(np.uint8)
    parts["heat_png"] = cv2.imencode(".png", bgra)[1].tobytes()
    outline: list[tuple[float, tuple[tuple[float, float], ...]]] = []
    for level in OUTLINE_LEVELS:
        contours, _ = cv2.findContours((heat >= level).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in contours:
            c = cv2.approxPolyDP(c, 1.0, True).reshape(-1, 2)
            if len(c) >= 3:
                outline.append((level, tuple((round(x / size[0], 4), round(y / size[1], 4)) for x, y in c)))
    parts["outline"] = tuple(outline)
    return parts


@dataclass
class BestFrame(FlaggedFrame):
    """A flagged frame kept for the review, with the model's heat map."""

    heatmap: np.ndarray | None = None  # float32 (h, w) in the model's output grid, None without one


class BestFrames:
    """The best `per_alert` flagged frames of each alert (by score), for at most `max_groups` alerts."""

    def __init__(self, per_alert: int = 3, max_groups: int = 64):
        self.per_alert = per_alert
        self.max_groups = max_groups
        self._groups: dict[int | None, list[tuple[float, int, BestFrame]]] = {}  # min-heaps by score
        self.refused: set[int] = set()  # alerts with a flagged frame but no room left in the store

    def worth_keeping(self, alert_id: int | None, score: float) -> bool:
        """Whether a frame of this score would be kept (checked before encoding it); an alert refused for
        lack of room is counted in `refused`."""
        heap = self._groups.get(alert_id)
        if heap is None:
            if len(self._groups) < self.max_groups:
                return True
            if alert_id is not None:
                self.refused.add(alert_id)
            return False
        return len(heap) < self.per_alert or score > heap[0][0]

    def keep(self, alert_id: int | None, index: int, score: float, image: np.ndarray,
             heatmap: np.ndarray | None, layers: FrameLayers | None = None) -> None:
        """Keep the frame if it is among its alert's best; `layers` (annotate.FrameLayers) adds the clean
        frame and the heat map views for the review."""
        if not self.worth_keeping(alert_id, score):
            return
        ok, jpg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            return
        heat = None if heatmap is None else np.asarray(heatmap, np.float32).copy()
        extra = review_parts(layers) if layers is not None else {}
        item = (score, index, BestFrame(index, score, jpg.tobytes(), alert_id, heatmap=heat, **extra))
        heap = self._groups.setdefault(alert_id, [])
        if len(heap) < self.per_alert:
            heapq.heappush(heap, item)
        else:
            heapq.heapreplace(heap, item)

    def frames(self) -> list[BestFrame]:
        """All kept frames in frame order."""
        return [f for _, _, f in sorted((x for h in self._groups.values() for x in h), key=lambda x: x[1])]

    def for_alert(self, alert_id: int | None) -> list[BestFrame]:
        """The kept frames of one alert, best first."""
        return [f for _, _, f in sorted(self._groups.get(alert_id, []), reverse=True)]
