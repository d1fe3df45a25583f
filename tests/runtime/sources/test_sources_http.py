"""HTTP(S) sources against loopback servers started here. The rule: a multipart/x-mixed-replace
response is a live stream (retried when lost); any other response is a file (played at its frame
rate with realtime, ended at its end, never looped); a URL that delivers nothing says why within
the stall timeout."""

import http.server
import threading
import time

import numpy as np
import pytest
from http_helpers import MjpegStream, serve_folder, start, stop, write_mjpg

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources import SourceStalled, open_source
from cleftedge.runtime.sources.video import VideoFile


@pytest.fixture(scope="module")
def ref_onnx(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("http-model") / "model.onnx", heatmap=False)


class ListSink:
    wants_frames = False

    def __init__(self):
        self.events = []

    def emit(self, event):
        self.events.append(event)

    def frame(self, *args):
        pass

    def close(self):
        pass

    def of(self, kind):
        return [e for e in self.events if e["type"] == kind]


@pytest.fixture
def files(tmp_path):
    write_mjpg(tmp_path / "v.avi", 60)
    from test_sources_files import write_video

    write_video(tmp_path / "v.mp4", n=30)
    url, srv = serve_folder(tmp_path)
    yield url
    stop(srv)


@pytest.mark.parametrize("name,frames", [("v.avi", 60), ("v.mp4", 30)])
def test_a_file_over_http_is_a_file_that_ends(files, name, frames):
    src = open_source(f"{files}/{name}")
    assert isinstance(src, VideoFile) and not src.is_live and src.fps == pytest.approx(30.0)
    got = list(src)
    assert len(got) == frames and src.read() is None and src.ended_early() is None  # ends, not looped
    assert got[0].image.shape == (48, 64, 3)


def test_a_file_over_http_plays_at_its_frame_rate_with_realtime(files):
    t = time.monotonic()
    got = list(open_source(f"{files}/v.avi", realtime=True))
    assert len(got) == 60 and time.monotonic() - t >= 59 / 30 - 0.05  # not as fast as it decodes


def test_a_multipart_stream_is_live_and_stalls_instead_of_ending():
    stream = MjpegStream(fps=30, seconds=1)
    try:
        src = open_source(stream.url, timeout_s=1.0)
        assert src.is_live and src.describe()["kind"] == "live"
        frames = []
        with pytest.raises(SourceStalled):
            while True:
                frames.append(src.read())
        assert 25 <= len(frames) <= 31 and abs(int(frames[10].image.mean()) - 40) < 8
        src.reopen()  # the stream serves again: a live source comes back
        assert src.read() is not None
        src.close()
    finally:
        stream.unplug()


def test_an_http_file_in_the_pipeline_ends_once_without_flapping(ref_onnx, files):
    from cleftedge.runtime.events import Sinks
    from cleftedge.runtime.model import Model
    from cleftedge.runtime.stream import Pipeline

    sink = ListSink()
    session = Pipeline(Model.open(ref_onnx, steady=True), open_source(f"{files}/v.avi"), Sinks([sink])).run()
    states = [(e["state"], e["reason"]) for e in sink.of("state")]
    assert states == [("running", ""), ("paused", "source ended"), ("stopped", "session ended")]
    assert session.summary["frames"] == 60 and session.summary["end_reason"] == "source ended"


def test_a_lost_stream_gives_one_pause_and_one_resume_not_one_per_retry(ref_onnx):
    from cleftedge.runtime.events import Sinks
    from cleftedge.runtime.model import Model
    from cleftedge.runtime.stream import Pipeline

    stream = MjpegStream(fps=30)
    sink = ListSink()
    stop_run = threading.Event()
    pipeline = Pipeline(Model.open(ref_onnx, steady=True), open_source(stream.url), Sinks([sink]))

    def until(done, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done():
            time.sleep(0.05)

    def unplug_then_end():
        # more than a second of frames scored before the cable is pulled, however slow the machine
        until(lambda: len(sink.of("score")) > 15 and time.time() - sink.of("score")[0]["t"] > 1.5)
        stream.unplug()
        until(lambda: pipeline.source.describe()["reconnects"] >= 2)  # several retries (0.5, 1, 2 s apart)
        stream.replug()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sink.of("state")[-1]["state"] != "running":
            time.sleep(0.1)
        time.sleep(1.0)
        stop_run.set()

    threading.Thread(target=unplug_then_end, daemon=True).start()
    session = pipeline.run(stop=stop_run)
    stream.unplug()
    states = [e["state"] for e in sink.of("state")]
    assert states == ["running", "paused", "running", "stopped"], [(e["state"], e["reason"]) for e in sink.of("state")]
    assert pipeline.source.describe()["reconnects"] >= 2  # it did retry, more than once
    paused = sink.of("state")[1]
    assert paused["t"] - sink.of("score")[0]["t"] > 1.0 and session.summary["frames"] > 15


class Silent(http.server.BaseHTTPRequestHandler):
    """Accepts the connection and never answers (a hung camera web server)."""

    hold = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.hold.wait(10)


class NotFound(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_error(404, "Not Found")


class NotVideo(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b"<html>camera login</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("handler,needle", [(Silent, "no response within 2 s"), (NotFound, "HTTP 404 Not Found"),
                                            (NotVideo, "Content-Type 'text/html'")])
def test_a_url_that_delivers_no_frame_says_why_within_the_stall_timeout(handler, needle):
    srv = start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))
    try:
        t = time.monotonic()
        with pytest.raises(CleftEdgeError, match=needle) as exc:
            open_source(f"http://127.0.0.1:{srv.server_port}/live")
        assert time.monotonic() - t < 2.0 + 1.5 and "\n" not in exc.value.line()
    finally:
        Silent.hold.set()
        stop(srv)


def test_refused_connection_says_so():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with pytest.raises(CleftEdgeError, match="Connection refused"):
        open_source(f"http://127.0.0.1:{port}/stream.mjpg")


def test_image_folder_frame_rate_as_a_source_parameter(tmp_path):
    import cv2

    for i in range(6):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.zeros((8, 8), np.uint8))
    t = time.monotonic()
    frames = list(open_source(f"{tmp_path}?fps=25", realtime=True))
    assert len(frames) == 6 and time.monotonic() - t >= 5 / 25 - 0.01 and frames[5].pts == pytest.approx(0.2)
    with pytest.raises(CleftEdgeError, match="needs a frame rate") as exc:
        open_source(str(tmp_path), realtime=True)  # silently as fast as possible would not be real time
    assert f"{tmp_path}?fps=25" in exc.value.line()
    for bad in ("fps=0", "fps=nan", "fps=inf", "fps=fast", "speed=2"):
        with pytest.raises(CleftEdgeError, match="folder source") as exc:
            open_source(f"{tmp_path}?{bad}")
        assert "\n" not in exc.value.line()
