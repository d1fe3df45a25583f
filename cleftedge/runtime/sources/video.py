"""Video files, camera indices / capture cards and RTSP/HTTP URLs through OpenCV."""

from __future__ import annotations

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.image_reader import to_uint8  # the one reader's pixel rules
from cleftedge.runtime.sources.base import Source, SourceLost, SourceStalled

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".webm", ".ts")
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")


def _fps(cap: cv2.VideoCapture) -> float | None:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and 0 < fps < 1000 else None  # some containers report 90000 or 0


def _ffmpeg_capture(url: str, timeout_s: float) -> cv2.VideoCapture:
    """FFmpeg's own network timeouts are tens of seconds; a stalled stream should say so sooner."""
    ms = int(timeout_s * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


class VideoFile(Source):
    name = "video"

    def __init__(self, path: str, realtime: bool = False, fps: float | None = None, timeout_s: float | None = None):
        super().__init__(path, realtime)
        self.cap = cv2.VideoCapture(path) if timeout_s is None else _ffmpeg_capture(path, timeout_s)
        if not self.cap.isOpened():
            raise CleftEdgeError(f"cannot open video {path}", "a video file OpenCV can decode (mp4, avi, mkv...)",
                                 "check the file, or convert it with ffmpeg")
        ok, first = self.cap.read()
        if not ok or first is None:
            self.cap.release()
            raise CleftEdgeError(f"video {path} has no readable frame", "a video with at least one frame",
                                 "check the file, or convert it with ffmpeg")
        self._first: np.ndarray | None = first
        self._fps_given = fps
        self.fps = fps or _fps(self.cap)
        count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frames = count if count > 0 else None

    def _next(self) -> tuple[np.ndarray, float | None, None] | None:
        if self._first is not None:
            img, self._first = self._first, None
            return to_uint8(img), 0.0, None
        ok, img = self.cap.read()
        if not ok or img is None:
            return None
        if self._fps_given:  # the caller's rate overrides the file's clock
            return to_uint8(img), self._index / self._fps_given, None
        # POS_MSEC after a read is the timestamp of the frame just decoded
        pos = self.cap.get(cv2.CAP_PROP_POS_MSEC)
        return to_uint8(img), (pos / 1000.0 if pos and pos > 0 else None), None

    def describe(self) -> dict:
        """The source's description (see `Source.describe`) with the frame count the container announces."""
        return {**super().describe(), "frames": self.frames}

    def ended_early(self) -> dict | None:
        """After the end: the frames played against the count the container announced, when more than
        one frame short (a truncated or damaged recording); None for a file that played whole."""
        if self.frames is None or self._index >= self.frames - 1:
            return None
        return {"frames": self._index, "expected": self.frames,
                "reason": f"the video ended after {self._index} of the {self.frames} frames its container "
                          "announces (truncated or damaged file)"}

    def close(self) -> None:
        """Release the file or stream."""
        self.cap.release()


class LiveCapture(Source):
    """A camera index, a capture card, a network stream or a GStreamer pipeline.

    A failed read raises SourceStalled, a device or stream that is gone (or will not reopen)
    SourceLost; the pipeline reports "AI paused" and calls reopen() with backoff."""

    name = "live"
    is_live = True

    def __init__(self, location: str, api: int = cv2.CAP_ANY, timeout_s: float = 5.0, open_now: bool = True):
        super().__init__(location)
        self.api = api
        self.timeout_s = timeout_s
        self.cap: cv2.VideoCapture | None = None
        self.reconnects = 0
        if open_now:
            self._open(first=True)

    def _capture(self) -> cv2.VideoCapture:
        loc = self.location
        if loc.isdigit():
            return cv2.VideoCapture(int(loc), self.api)
        if loc.lower().startswith(URL_SCHEMES):
            return _ffmpeg_capture(loc, self.timeout_s)
        return cv2.VideoCapture(loc, self.api)

    def _open(self, first: bool = False) -> None:
        cap = self._capture()
        if not cap.isOpened():
            cap.release()
            self.cap = None
            if first:
                raise CleftEdgeError(f"cannot open live source {self.location}",
                                     "a connected camera index, capture card or reachable stream URL",
                                     "check the cable or the URL (and that no other program holds the device)")
            raise SourceLost(f"{self.location} is not available")
        self.cap = cap
        self.fps = _fps(cap)

    def _next(self) -> tuple[np.ndarray, None, None]:
        if self.cap is None or not self.cap.isOpened():
            raise SourceLost(f"{self.location} is closed")
        ok, img = self.cap.read()
        if not ok or img is None:
            raise SourceStalled(f"no frame from {self.location}")
        return to_uint8(img), None, None

    def reopen(self) -> None:
        """Reconnect; SourceLost when the device or stream is still not there."""
        self.close()
        self.reconnects += 1
        self._open()

    def describe(self) -> dict:
        """The source's description (see `Source.describe`) with how often it reconnected."""
        return {**super().describe(), "reconnects": self.reconnects}

    def close(self) -> None:
        """Release the device or stream; `reopen` opens it again."""
        if self.cap is not None:
            self.cap.release()
            self.cap = None
