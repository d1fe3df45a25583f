"""Writes annotated frames to a video file (OpenCV's mp4v for .mp4, MJPG for .avi), atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.events import Sink


class VideoSink(Sink):
    """The annotated frames as a video at `fps`, renamed onto `path` when the session closes."""

    wants_frames = True

    def __init__(self, path: str, fps: float) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in (".mp4", ".avi"):
            raise CleftEdgeError(f"--annotate {path}", "a .mp4 or .avi file name", "e.g. --annotate annotated.mp4")
        self.fps = fps
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmpdir = Path(tempfile.mkdtemp(prefix=".annotate.", dir=self.path.parent))
        self._writer: cv2.VideoWriter | None = None

    def frame(self, index: int, image: np.ndarray, result: object) -> None:
        """Append one annotated frame (the writer opens at the first, sized to it)."""
        if self._writer is None:
            h, w = image.shape[:2]
            fourcc = cv2.VideoWriter.fourcc(*("mp4v" if self.path.suffix.lower() == ".mp4" else "MJPG"))
            self._writer = cv2.VideoWriter(str(self._tmpdir / self.path.name), fourcc, self.fps, (w, h))
        self._writer.write(image)

    def close(self) -> None:
        """Finish the video and move it onto its path (nothing is left behind when no frame came)."""
        if self._writer is not None:
            self._writer.release()
            os.replace(self._tmpdir / self.path.name, self.path)
        shutil.rmtree(self._tmpdir, ignore_errors=True)
