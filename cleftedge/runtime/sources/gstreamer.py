"""GStreamer pipelines: through OpenCV's GStreamer backend where the installed OpenCV has one
(JetPack's does; PyPI's wheels do not), else through PyGObject with an appsink (the optional extra
`gstreamer`: `pip install 'cleftedge[gstreamer]'`, which builds against the system's GStreamer and
introspection packages), else refused in one line with the install hint.

Example (a USB capture card on a Jetson):
  gst:v4l2src device=/dev/video0 ! video/x-raw,width=1280,height=720 ! videoconvert
      ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1  (one line)"""

from __future__ import annotations

import re
from typing import Any

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Source, SourceLost, SourceStalled
from cleftedge.runtime.sources.video import LiveCapture

INSTALL_HINT = ("on Debian/Ubuntu: apt-get install gstreamer1.0-plugins-base gir1.2-gstreamer-1.0 "
                "gir1.2-gst-plugins-base-1.0 libgirepository1.0-dev libcairo2-dev pkg-config, then "
                "pip install 'cleftedge[gstreamer]'; on a Jetson use JetPack's system OpenCV (python3-opencv) in a "
                "venv made with --system-site-packages")
CHANNELS = {"BGR": 3, "GRAY8": 1}


def has_gstreamer(build_info: str | None = None) -> bool:
    """Whether OpenCV itself was built with GStreamer."""
    info = cv2.getBuildInformation() if build_info is None else build_info
    return bool(re.search(r"GStreamer:\s+YES", info))


def gi_gstreamer() -> Any:
    """The `Gst` module through PyGObject, initialised; None when PyGObject or GStreamer is missing."""
    try:
        import gi

        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
    except (ImportError, ValueError):  # ValueError: PyGObject without the Gst typelib
        return None
    Gst.init(None)
    return Gst


def open_gstreamer(pipeline: str, timeout_s: float = 5.0) -> Source:
    """The source for a "gst:" pipeline: OpenCV's GStreamer backend where it has one, else PyGObject's appsink;
    one-line CleftEdgeError for a pipeline without appsink or a machine without GStreamer."""
    pipeline = pipeline.strip()
    if "appsink" not in pipeline:
        raise CleftEdgeError(f"GStreamer pipeline '{pipeline}' does not end in appsink",
                             "a pipeline whose last element is appsink (frames are read from it)",
                             "end it with '! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1'")
    if has_gstreamer():
        return LiveCapture(pipeline, cv2.CAP_GSTREAMER, timeout_s)
    gst = gi_gstreamer()
    if gst is None:
        raise CleftEdgeError("no GStreamer here: this OpenCV has no GStreamer support (the PyPI wheels are built "
                             "without it) and PyGObject with GStreamer is not installed",
                             "an OpenCV built with GStreamer, or GStreamer through PyGObject", INSTALL_HINT)
    return GstAppSink(pipeline, gst, timeout_s)


class GstAppSink(Source):
    """A GStreamer pipeline read from its appsink through PyGObject. Live: a pipeline that errors or
    reaches its end raises SourceLost (reopen() builds it again), no sample in time SourceStalled."""

    name = "gstreamer"
    is_live = True

    def __init__(self, pipeline: str, gst: Any, timeout_s: float = 5.0):
        super().__init__(pipeline)
        self.gst = gst
        self.timeout_s = timeout_s
        self.reconnects = 0
        self.pipeline: Any = None  # Gst objects: PyGObject has no type information
        self.sink: Any = None
        self._start(first=True)

    def _start(self, first: bool = False) -> None:
        Gst = self.gst
        try:
            self.pipeline = Gst.parse_launch(self.location)
        except Exception as exc:  # GLib.Error: a pipeline GStreamer cannot build (unknown element, bad caps)
            raise CleftEdgeError(f"GStreamer pipeline '{self.location}' does not build ({exc})",
                                 "a pipeline gst-launch-1.0 accepts, ending in appsink",
                                 "try it with gst-launch-1.0 first") from None
        elements = getattr(self.pipeline, "children", None) or [self.pipeline]  # a Bin, or a lone element
        sinks = [e for e in elements if e.get_factory() is not None and e.get_factory().get_name() == "appsink"]
        if not sinks:
            raise CleftEdgeError(f"GStreamer pipeline '{self.location}' has no appsink", "one appsink",
                                 "end it with '! appsink'")
        self.sink = sinks[0]
        self.sink.set_property("max-buffers", 1)  # latest frame wins, like the pipeline's own mailbox
        self.sink.set_property("drop", True)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.close()
            if first:
                raise CleftEdgeError(f"GStreamer pipeline '{self.location}' does not start",
                                     "a connected device and a pipeline gst-launch-1.0 runs",
                                     "try it with gst-launch-1.0 first")
            raise SourceLost(f"GStreamer pipeline {self.location} does not start")

    def _next(self) -> tuple[np.ndarray, None, None]:
        Gst = self.gst
        if self.sink is None:
            raise SourceLost("GStreamer pipeline is closed")
        sample = self.sink.emit("try-pull-sample", int(self.timeout_s * Gst.SECOND))
        if sample is None:
            if self.sink.get_property("eos"):
                raise SourceLost("the GStreamer pipeline ended")
            raise SourceStalled(f"no frame from the GStreamer pipeline in {self.timeout_s:g} s")
        return self._to_image(sample), None, None

    def _to_image(self, sample: Any) -> np.ndarray:
        caps = sample.get_caps().get_structure(0)
        fmt, width, height = caps.get_value("format"), caps.get_value("width"), caps.get_value("height")
        if fmt not in CHANNELS:
            raise CleftEdgeError(f"GStreamer appsink delivers {fmt} frames", "BGR or GRAY8 frames",
                                 "put '! videoconvert ! video/x-raw,format=BGR' before the appsink")
        ok, num, denom = caps.get_fraction("framerate")  # (False, 0, 0) when the caps give none
        if ok and denom and num:
            self.fps = num / denom
        buffer = sample.get_buffer()
        ok, info = buffer.map(self.gst.MapFlags.READ)
        if not ok:
            raise SourceStalled("a GStreamer buffer could not be read")
        try:
            channels = CHANNELS[fmt]
            data = np.frombuffer(info.data, np.uint8)
            stride = len(data) // height  # rows are padded to 4 bytes
            rows = data[: stride * height].reshape(height, stride)[:, : width * channels]
            image = rows.reshape(height, width, channels) if channels > 1 else rows.reshape(height, width)
            return image.copy()  # the buffer is unmapped below
        finally:
            buffer.unmap(info)

    def reopen(self) -> None:
        """Build and start the pipeline again; SourceLost when it still does not start."""
        self.close()
        self.reconnects += 1
        self._start()

    def describe(self) -> dict:
        """The source's description (see `Source.describe`) with its reconnects and the backend (pygobject)."""
        return {**super().describe(), "reconnects": self.reconnects, "backend": "pygobject"}

    def close(self) -> None:
        """Stop the pipeline (state NULL) and drop it."""
        if self.pipeline is not None:
            self.pipeline.set_state(self.gst.State.NULL)
        self.pipeline = self.sink = None
