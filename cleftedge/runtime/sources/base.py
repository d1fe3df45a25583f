"""The frame-source contract: every source yields Frame objects with an index and a capture time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


class SourceError(Exception):
    """A live source failed while running (not a user error at open time): the pipeline pauses and retries."""


class SourceStalled(SourceError):
    """No frame arrived in time."""


class SourceLost(SourceError):
    """The device or stream went away."""


@dataclass
class Frame:
    index: int
    image: np.ndarray  # uint8 grey (H, W) or BGR (H, W, 3)
    t_capture: float  # time.monotonic() when the frame was captured
    pts: float | None = None  # media time in seconds where the file says
    source: str = ""
    truth: Any = None  # ground truth where the source knows it (simulator sweeps)


class Source:
    """Base class: subclasses implement _next() -> (image, pts, truth) or None at the end."""

    is_live = False
    name = "source"

    def __init__(self, location: str, realtime: bool = False):
        self.location = location
        self.realtime = realtime and not self.is_live  # live sources come at their own pace
        self.fps: float | None = None
        self._index = 0
        self._t0: float | None = None

    def _next(self) -> tuple[np.ndarray, float | None, Any] | None:
        raise NotImplementedError

    def read(self) -> Frame | None:
        """The next frame (paced to its media time when realtime), or None at the end of the source."""
        got = self._next()
        if got is None:
            return None
        image, pts, truth = got
        if pts is None and self.fps:
            pts = self._index / self.fps
        if self.realtime and pts is not None:
            self._pace(pts)
        frame = Frame(self._index, image, time.monotonic(), pts, self.location, truth)
        self._index += 1
        return frame

    def _pace(self, pts: float) -> None:
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now - pts
        wait = self._t0 + pts - now
        if wait > 0:
            time.sleep(wait)

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def reopen(self) -> None:
        """Live sources reconnect here; files have nothing to reopen."""

    def describe(self) -> dict:
        """What the session log and the live page show about the source: kind, location, fps, live, realtime."""
        return {"kind": self.name, "location": self.location, "fps": self.fps, "live": self.is_live,
                "realtime": self.realtime}

    def close(self) -> None:
        """Release the file or device; a closed source reads no more frames."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
