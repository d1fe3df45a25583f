"""GStreamer pipelines, where the installed OpenCV was built with GStreamer (JetPack's is; PyPI's is not)."""

from __future__ import annotations

import re

import cv2

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.video import LiveCapture


def has_gstreamer() -> bool:
    return bool(re.search(r"GStreamer:\s+YES", cv2.getBuildInformation()))


def open_gstreamer(pipeline: str) -> LiveCapture:
    if not has_gstreamer():
        raise CleftEdgeError("this OpenCV has no GStreamer support (the PyPI wheels are built without it)",
                             "an OpenCV built with GStreamer for a pipeline source",
                             "on a Jetson use JetPack's system OpenCV (python3-opencv) in a venv made with "
                             "--system-site-packages, or give a device index or URL instead")
    return LiveCapture(pipeline, cv2.CAP_GSTREAMER)
