"""An event sink that feeds the live page: events go out as they come, frames at a capped rate (the
page needs a picture, not every frame). Frames arrive taken apart (masked image and heat map), so
the page chooses how the heat map is drawn and carries its own alert banner (none burned in)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import cv2
import numpy as np

from cleftedge.runtime import event_types
from cleftedge.runtime.live.server import LiveServer

if TYPE_CHECKING:
    from cleftedge.runtime.annotate import FrameLayers

MAX_FRAME_RATE = 15.0
JPEG_QUALITY = 80


class LiveSink:
    """The event sink that feeds a LiveServer's pages: every event, frames at most `max_fps` a second."""

    def __init__(self, server: LiveServer, max_fps: float = MAX_FRAME_RATE):
        self.server = server
        self._min_interval = 1.0 / max_fps
        self._last_frame = 0.0

    def emit(self, event: dict) -> None:
        """Hand an event to the pages."""
        self.server.publish(event)

    def _due(self) -> bool:
        now = time.monotonic()
        if now - self._last_frame < self._min_interval:
            return False
        self._last_frame = now
        return True

    def frame_layers(self, index: int, layers: FrameLayers) -> None:
        """The masked frame and its heat map; encoded only when a page asks (in the server's thread)."""
        if self._due():
            self.server.publish_layers(index, layers)

    def frame(self, index: int, image: np.ndarray, result: object = None) -> None:
        """A finished frame (`result` unused: the page draws its own banner), JPEG-encoded when one is due."""
        if not self._due():
            return
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if ok:
            self.server.publish_jpeg(buf.tobytes())

    def close(self) -> None:
        """Tell the pages the session ended."""
        self.server.publish({"type": event_types.STATE, "state": "stopped", "reason": "session ended",
                             "t": time.time()})
