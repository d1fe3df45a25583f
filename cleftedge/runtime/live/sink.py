"""An event sink that feeds the live page: events go out as they come, frames as JPEG at a
capped rate (the page needs a picture, not every frame)."""

from __future__ import annotations

import time

import cv2
import numpy as np

from cleftedge.runtime.live.server import LiveServer

MAX_FRAME_RATE = 15.0
JPEG_QUALITY = 80


class LiveSink:
    def __init__(self, server: LiveServer, max_fps: float = MAX_FRAME_RATE):
        self.server = server
        self._min_interval = 1.0 / max_fps
        self._last_frame = 0.0

    def emit(self, event: dict) -> None:
        self.server.publish(event)

    def frame(self, index: int, image: np.ndarray, result=None) -> None:
        now = time.monotonic()
        if now - self._last_frame < self._min_interval:
            return
        self._last_frame = now
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if ok:
            self.server.publish_jpeg(buf.tobytes())

    def close(self) -> None:
        self.server.publish({"type": "state", "state": "stopped", "reason": "session ended", "t": time.time()})
