"""Writes annotated frames to a video file (OpenCV's mp4v for .mp4, MJPG for .avi), atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import cv2

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.events import Sink


class VideoSink(Sink):
    wants_frames = True

    def __init__(self, path: str, fps: float):
        self.path = Path(path)
        if self.path.suffix.lower() not in (".mp4", ".avi"):
            raise CleftEdgeError(f"--annotate {path}", "a .mp4 or .avi file name", "e.g. --annotate annotated.mp4")
        self.fps = fps
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmpdir = Path(tempfile.mkdtemp(prefix=".annotate.", dir=self.path.parent))
        self._writer = None

    def frame(self, index, image, result) -> None:
        if self._writer is None:
            h, w = image.shape[:2]
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.path.suffix.lower() == ".mp4" else "MJPG"))
            self._writer = cv2.VideoWriter(str(self._tmpdir / self.path.name), fourcc, self.fps, (w, h))
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            os.replace(self._tmpdir / self.path.name, self.path)
        shutil.rmtree(self._tmpdir, ignore_errors=True)
