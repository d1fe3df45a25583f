"""GStreamer pipelines, where the installed OpenCV was built with GStreamer (JetPack's is; PyPI's is not).

Example (a USB capture card on a Jetson):
  gst:v4l2src device=/dev/video0 ! video/x-raw,width=1280,height=720 ! videoconvert
      ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1  (one line)"""

from __future__ import annotations

import re

import cv2

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.video import LiveCapture


def has_gstreamer(build_info: str | None = None) -> bool:
    info = cv2.getBuildInformation() if build_info is None else build_info
    return bool(re.search(r"GStreamer:\s+YES", info))


def open_gstreamer(pipeline: str, timeout_s: float = 5.0) -> LiveCapture:
    pipeline = pipeline.strip()
    if not has_gstreamer():
        raise CleftEdgeError("this OpenCV has no GStreamer support (the PyPI wheels are built without it)",
                             "an OpenCV built with GStreamer for a pipeline source",
                             "on a Jetson use JetPack's system OpenCV (python3-opencv) in a venv made with "
                             "--system-site-packages, or give a device index or URL instead")
    if "appsink" not in pipeline:
        raise CleftEdgeError(f"GStreamer pipeline '{pipeline}' does not end in appsink",
                             "a pipeline whose last element is appsink (OpenCV reads frames from it)",
                             "end it with '! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1'")
    return LiveCapture(pipeline, cv2.CAP_GSTREAMER, timeout_s)
