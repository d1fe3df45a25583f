"""Frame sources: video files, cameras and stream URLs, GStreamer pipelines, DICOM files and cine
loops, image folders, and the simulator. `open_source(text)` picks the kind from the text; see
docs/sources.md for the strings and the colour rules."""

from __future__ import annotations

from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Frame, Source, SourceError, SourceLost, SourceStalled

__all__ = ["Frame", "Source", "SourceError", "SourceLost", "SourceStalled", "open_source", "source_kind"]

KINDS = "a video file, DICOM file, image folder, camera index, stream URL, GStreamer pipeline or sim:KIND"


def source_kind(text: str) -> str:
    """simulator | gstreamer | camera | url | folder | dicom | video | missing | unknown (from the text alone)."""
    from cleftedge.runtime.sources import dicom, video

    text = str(text).strip()
    if text.startswith("sim:"):
        return "simulator"
    if text.startswith("gst:") or ("!" in text and not Path(text).exists()):
        return "gstreamer"
    if text.isdigit():
        return "camera"
    if text.lower().startswith(video.URL_SCHEMES):
        return "url"
    path = Path(text)
    if path.is_dir() or ("?" in text and not path.exists() and Path(text.rpartition("?")[0] or "-").is_dir()):
        return "folder"  # a folder, or FOLDER?fps=25
    if not path.exists():
        return "missing"
    if dicom.is_dicom(path):
        return "dicom"
    if path.suffix.lower() in video.VIDEO_SUFFIXES:
        return "video"
    return "unknown"


def open_source(text: str, *, realtime: bool = False, fps: float | None = None, timeout_s: float = 5.0) -> Source:
    """Open a frame source from its command-line text.

    realtime: play files (video, DICOM, folder) at their frame rate; live sources always come at
    their own pace. fps: a frame rate for a source that has none (an image folder) or to override
    the file's. timeout_s: how long a network stream may stay silent before a read is a stall."""
    from cleftedge.runtime.sources import dicom, folder, gstreamer, simulator, video

    text = str(text).strip()
    if fps is not None and not fps > 0:
        raise CleftEdgeError(f"frame rate {fps}", "a positive number of frames per second", "e.g. fps=30")
    kind = source_kind(text)
    if kind == "simulator":
        return simulator.SimulatorSource(text)
    if kind == "gstreamer":
        return gstreamer.open_gstreamer(text[4:] if text.startswith("gst:") else text, timeout_s)
    if kind == "url" and text.lower().startswith(("http://", "https://")):
        return _open_http(text, realtime, fps, timeout_s)
    if kind in ("camera", "url"):
        return video.LiveCapture(text, timeout_s=timeout_s)
    if kind == "folder":
        path, given = folder.parse_folder(text)
        return folder.ImageFolder(path, realtime, fps or given)
    if kind == "dicom":
        return dicom.DicomSource(text, realtime, fps)
    if kind == "video":
        return video.VideoFile(text, realtime, fps)
    if kind == "missing":
        raise CleftEdgeError(f"source {text} does not exist", KINDS, "check the path or see docs/sources.md")
    raise CleftEdgeError(f"source {text} is not a known kind (suffix '{Path(text).suffix}')",
                         "a video (" + ", ".join(video.VIDEO_SUFFIXES[:4]) + "...), " + KINDS.split(", ", 1)[1],
                         "see docs/sources.md")


def _open_http(url: str, realtime: bool, fps: float | None, timeout_s: float) -> Source:
    """multipart/x-mixed-replace is a live stream (retried when lost); anything else is a file."""
    from cleftedge.runtime.sources import video
    from cleftedge.runtime.sources.http_probe import PROBE_S, is_live_type, probe_http

    content_type = probe_http(url, min(timeout_s, PROBE_S))
    if is_live_type(content_type):
        return video.LiveCapture(url, timeout_s=timeout_s)
    try:
        return video.VideoFile(url, realtime, fps, timeout_s=timeout_s)
    except CleftEdgeError:
        raise CleftEdgeError(f"the URL {url} is not a video OpenCV can decode (Content-Type "
                             f"'{content_type or 'none'}')", "a video file (mp4, avi...) or an MJPEG stream "
                             "(multipart/x-mixed-replace)", "check the URL") from None
