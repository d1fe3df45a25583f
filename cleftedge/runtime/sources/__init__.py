"""Frame sources: video files, cameras and stream URLs, GStreamer pipelines, DICOM files and cine
loops, image folders, and the simulator. `open_source(text)` picks the kind from the text."""

from __future__ import annotations

from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Frame, Source, SourceError, SourceLost, SourceStalled

__all__ = ["Frame", "Source", "SourceError", "SourceLost", "SourceStalled", "open_source"]

URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")


def open_source(text: str, realtime: bool = False) -> Source:
    """Open a frame source from its command-line text."""
    from cleftedge.runtime.sources import dicom, folder, gstreamer, simulator, video

    text = str(text).strip()
    if text.startswith("sim:"):
        return simulator.SimulatorSource(text[4:])
    if text.startswith("gst:") or " ! " in text:
        return gstreamer.open_gstreamer(text[4:] if text.startswith("gst:") else text)
    if text.isdigit():
        return video.LiveCapture(text)
    if text.lower().startswith(URL_SCHEMES):
        return video.LiveCapture(text)
    path = Path(text)
    if path.is_dir():
        return folder.ImageFolder(text, realtime)
    if not path.exists():
        raise CleftEdgeError(f"source {text} does not exist",
                             "a video file, DICOM file, image folder, camera index, stream URL, GStreamer "
                             "pipeline or sim:KIND", "check the path or see docs/sources.md")
    if dicom.is_dicom(path):
        return dicom.DicomSource(text, realtime)
    if path.suffix.lower() in video.VIDEO_SUFFIXES:
        return video.VideoFile(text, realtime)
    raise CleftEdgeError(f"source {text} is not a known kind (suffix '{path.suffix}')",
                         "a video (" + ", ".join(video.VIDEO_SUFFIXES[:4]) + "...), a DICOM file, an image folder, "
                         "a camera index, a stream URL or sim:KIND", "see docs/sources.md")
