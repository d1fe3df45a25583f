"""Live sources on real streams: an MJPEG stream (multipart/x-mixed-replace) whose server goes
away, an MJPG AVI file over HTTP that stops arriving, a camera index with no camera, and the
simulator as a live sweep. More HTTP cases: test_sources_http.py."""

import functools
import http.server
import threading
import time

import cv2
import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources import SourceError, SourceLost, open_source
from cleftedge.runtime.sources.gstreamer import has_gstreamer


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """(url, data, stop): an MJPG AVI of 60 frames on a local HTTP server."""
    w = cv2.VideoWriter(str(tmp_path / "v.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for i in range(60):
        w.write(np.full((48, 64, 3), i * 4, np.uint8))
    w.release()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}/v.avi", srv
    srv.shutdown()
    srv.server_close()


def test_lost_server_raises_source_lost_on_reopen():
    from http_helpers import MjpegStream

    stream = MjpegStream(fps=30)
    src = open_source(stream.url)
    assert src.is_live and src.read() is not None
    stream.unplug()
    with pytest.raises(SourceLost):
        src.reopen()
    with pytest.raises(SourceLost):
        src.read()  # still closed: not an IndexError or a hang
    assert issubclass(SourceLost, SourceError) and not issubclass(SourceLost, CleftEdgeError)


def test_a_file_that_stops_arriving_ends_early_within_the_timeout(tmp_path, served):
    url, _ = served
    data = (tmp_path / "v.avi").read_bytes()
    hold = threading.Event()

    class Partial(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # send two thirds, then keep the connection open and silent
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) * 2 // 3])
            self.wfile.flush()
            hold.wait(10)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Partial)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        src = open_source(f"http://127.0.0.1:{srv.server_port}/v.avi", timeout_s=1.0)
        assert not src.is_live  # an HTTP response that is not multipart/x-mixed-replace is a file
        t = time.monotonic()
        frames = 1
        while src.read() is not None and frames < 100:
            frames += 1
        assert time.monotonic() - t < 5.0  # FFmpeg alone would wait far longer
        early = src.ended_early()
        assert early["expected"] == 60 and 10 < early["frames"] < 60  # says it ended early, not silently
        src.close()
    finally:
        hold.set()
        srv.shutdown()
        srv.server_close()


def test_camera_index_without_a_camera_is_one_line():
    with pytest.raises(CleftEdgeError, match="cannot open live source 97") as exc:
        open_source("97")
    assert "\n" not in exc.value.line()


def test_simulator_is_a_paced_live_sweep_with_ground_truth():
    src = open_source("sim:unilateral?seed=2&seconds=1.5&fps=20")  # seed 2 comes into plane within 1.5 s
    assert src.is_live and src.fps == 20
    assert src.describe()["kind"] == "simulator" and src.describe()["cleft"] == "unilateral"
    t = time.monotonic()
    frames = list(src)
    assert time.monotonic() - t >= 29 / 20 - 0.02  # paced at its frame rate, not as fast as possible
    assert len(frames) == 30 and frames[0].image.shape == (480, 640, 3) and frames[0].image.dtype == np.uint8
    assert frames[0].source == "sim:unilateral?seed=2&seconds=1.5&fps=20"
    truth = [f.truth for f in frames]
    assert 0 < sum(t["in_plane"] for t in truth) < 30  # the sweep passes through the plane
    assert all(t["cleft"] == t["in_plane"] for t in truth)  # a cleft sweep shows the cleft whenever in plane
    assert [f.pts for f in frames[:3]] == pytest.approx([0, 1 / 20, 2 / 20])
    normal = list(open_source("sim:none?seed=3&seconds=0.2&fps=30"))
    assert not any(f.truth["cleft"] for f in normal)


@pytest.mark.parametrize("text,needle", [
    ("sim:unilateral?speed=3", "simulator source option 'speed'"),
    ("sim:trilateral", "simulator source kind 'trilateral'"),
    ("sim:none?seconds=0", "positive"),
    ("sim:none?seconds=nan", "seconds=nan; expected a positive, finite number"),
    ("sim:none?seconds=inf", "seconds=inf; expected a positive, finite number"),
    ("sim:none?fps=-inf", "fps=-inf"),
    ("sim:unilateral?severity=7", "severity=7.0; expected a severity from 0 to 1"),
    ("sim:unilateral?severity=nan", "severity=nan"),
])
def test_bad_simulator_strings_are_one_line(text, needle):
    with pytest.raises(CleftEdgeError, match=needle) as exc:
        open_source(text)
    assert "\n" not in exc.value.line()


def test_gstreamer_refused_with_the_install_hint_when_neither_backend_is_there(monkeypatch):
    from cleftedge.runtime.sources import gstreamer

    assert has_gstreamer("  Video I/O:\n    GStreamer:                   YES (1.20.3)\n")
    assert not has_gstreamer("  Video I/O:\n    GStreamer:                   NO\n")
    monkeypatch.setattr(gstreamer, "has_gstreamer", lambda: False)  # as with PyPI's OpenCV
    monkeypatch.setattr(gstreamer, "gi_gstreamer", lambda: None)  # and no PyGObject
    for text in ("videotestsrc ! videoconvert ! appsink", "gst:v4l2src ! appsink"):
        with pytest.raises(CleftEdgeError, match="no GStreamer here.*pip install 'cleftedge\\[gstreamer\\]'") as exc:
            open_source(text)
        assert "\n" not in exc.value.line()


def gst_or_skip():
    """GStreamer through OpenCV or PyGObject; in CI (CLEFTEDGE_REQUIRE_GST=1) its absence fails."""
    import os

    from cleftedge.runtime.sources.gstreamer import gi_gstreamer

    if has_gstreamer() or gi_gstreamer() is not None:
        return
    if os.environ.get("CLEFTEDGE_REQUIRE_GST") == "1":
        pytest.fail("CLEFTEDGE_REQUIRE_GST=1 but neither OpenCV nor PyGObject has GStreamer (.ci/run installs it)")
    pytest.skip("no GStreamer here (PyPI OpenCV has none; install the Debian packages and '.[gstreamer]')")


def test_a_gstreamer_videotestsrc_pipeline_is_a_live_source():
    gst_or_skip()
    src = open_source("gst:videotestsrc num-buffers=20 pattern=white ! video/x-raw,width=64,height=48,"
                      "framerate=30/1 ! videoconvert ! video/x-raw,format=BGR ! appsink")
    assert src.is_live
    frames = []
    with pytest.raises(SourceError):  # a live source does not end: its end is a loss, and it is retried
        while len(frames) < 100:
            frames.append(src.read())
    assert len(frames) == 20 and frames[0].image.shape == (48, 64, 3) and frames[0].image.min() > 200
    src.reopen()  # built again: frames again
    assert src.read() is not None and src.describe()["reconnects"] == 1
    grey = open_source("videotestsrc num-buffers=2 ! video/x-raw,width=30,height=20 ! videoconvert ! "
                       "video/x-raw,format=GRAY8 ! appsink")
    assert grey.read().image.shape == (20, 30)  # rows padded to 4 bytes in the buffer, not in the frame
    src.close()
    grey.close()
    with pytest.raises(CleftEdgeError, match="does not build"):
        open_source("gst:nosuchelement ! appsink")
