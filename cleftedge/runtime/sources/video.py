"""Video files, camera indices and RTSP/HTTP URLs through OpenCV."""

from __future__ import annotations

import cv2

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Source, SourceLost, SourceStalled

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".webm")


def _to_uint8(img):
    if img is None or img.dtype == "uint8":
        return img
    return cv2.convertScaleAbs(img)


class VideoFile(Source):
    name = "video"

    def __init__(self, path: str, realtime: bool = False):
        super().__init__(path, realtime)
        self.cap = cv2.VideoCapture(path)
        if not self.cap.isOpened():
            raise CleftEdgeError(f"cannot open video {path}", "a video file OpenCV can decode (mp4, avi, mkv...)",
                                 "check the file, or convert it with ffmpeg")
        ok, first = self.cap.read()
        if not ok or first is None:
            raise CleftEdgeError(f"video {path} has no readable frame", "a video with at least one frame",
                                 "check the file, or convert it with ffmpeg")
        self._first = first
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else None

    def _next(self):
        if self._first is not None:
            img, self._first = self._first, None
            return _to_uint8(img), 0.0 if self.fps else None, None
        ok, img = self.cap.read()
        if not ok:
            return None
        pos = self.cap.get(cv2.CAP_PROP_POS_MSEC)
        return _to_uint8(img), (pos / 1000.0 if pos and pos > 0 else None), None

    def close(self):
        self.cap.release()


class LiveCapture(Source):
    """A camera index, a capture card or a network stream: reconnects on reopen()."""

    name = "live"
    is_live = True

    def __init__(self, location: str, api: int = cv2.CAP_ANY, open_now: bool = True):
        super().__init__(location)
        self.api = api
        self.cap = None
        if open_now:
            self._open(first=True)

    def _target(self):
        return int(self.location) if self.location.isdigit() else self.location

    def _open(self, first: bool = False) -> None:
        self.cap = cv2.VideoCapture(self._target(), self.api)
        if not self.cap.isOpened():
            if first:
                raise CleftEdgeError(f"cannot open live source {self.location}",
                                     "a connected camera index, capture card or reachable stream URL",
                                     "check the cable or the URL (and that no other program holds the device)")
            raise SourceLost(f"{self.location} is not available")
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else None

    def _next(self):
        if self.cap is None or not self.cap.isOpened():
            raise SourceLost(f"{self.location} is closed")
        ok, img = self.cap.read()
        if not ok or img is None:
            raise SourceStalled(f"no frame from {self.location}")
        return _to_uint8(img), None, None

    def reopen(self) -> None:
        if self.cap is not None:
            self.cap.release()
        self._open()

    def close(self):
        if self.cap is not None:
            self.cap.release()
