"""The best few flagged frames per alert, kept for the session review: annotated JPEG bytes and
the model's heat map. Bounded: a few frames per alert and a cap on the alerts remembered."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import cv2
import numpy as np

from cleftedge.runtime.review.session_report import FlaggedFrame


@dataclass
class BestFrame(FlaggedFrame):
    heatmap: np.ndarray | None = None  # float32 (h, w) in the model's output grid, None without one


class BestFrames:
    def __init__(self, per_alert: int = 3, max_groups: int = 64):
        self.per_alert = per_alert
        self.max_groups = max_groups
        self._groups: dict[int | None, list[tuple[float, int, BestFrame]]] = {}  # min-heaps by score

    def worth_keeping(self, alert_id: int | None, score: float) -> bool:
        heap = self._groups.get(alert_id)
        if heap is None:
            return len(self._groups) < self.max_groups
        return len(heap) < self.per_alert or score > heap[0][0]

    def keep(self, alert_id: int | None, index: int, score: float, image: np.ndarray,
             heatmap: np.ndarray | None) -> None:
        if not self.worth_keeping(alert_id, score):
            return
        ok, jpg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            return
        heat = None if heatmap is None else np.asarray(heatmap, np.float32).copy()
        item = (score, index, BestFrame(index, score, jpg.tobytes(), alert_id, heat))
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
