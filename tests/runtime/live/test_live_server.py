import json
import re
import urllib.request

import cv2
import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.live import LiveServer, LiveSink, parse_address


@pytest.fixture
def server():
    s = LiveServer("127.0.0.1", 0).start()
    yield s
    s.close()


def data_events(resp):
    """The events of an open /events stream, one by one."""
    assert resp.headers["Content-Type"] == "text/event-stream"
    for raw in resp:
        line = raw.decode().strip()
        if line.startswith("data: "):
            yield json.loads(line[6:])


def read_events(url, n, timeout=5.0):
    with urllib.request.urlopen(url + "events", timeout=timeout) as resp:
        events = data_events(resp)
        return [next(events) for _ in range(n)]


def test_page_is_self_contained_with_stable_ids(server):
    html = urllib.request.urlopen(server.url, timeout=5).read().decode()
    for element_id in ("live-image", "score", "state", "alert-banner", "watchdog", "alert-log"):
        assert f'id="{element_id}"' in html
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "@import" not in html and "AI not running" in html


def test_events_reach_the_page_in_order(server):
    sink = LiveSink(server)
    events = [{"type": "heartbeat", "frames": i, "dropped": 0, "state": "running"} for i in range(3)]

    with urllib.request.urlopen(server.url + "events", timeout=5.0) as resp:
        got = data_events(resp)
        # first the whole picture (from here on the page is subscribed, however slow the machine), then what happens
        assert next(got)["type"] == "snapshot"
        for e in events:
            sink.emit(e)
        assert [next(got)["frames"] for _ in events] == [0, 1, 2]


def test_a_new_page_gets_the_whole_picture_first(server):
    server.publish({"type": "session_start", "threshold": 0.753, "model": {"backend": "onnxruntime"},
                    "alerts": {"k": 5, "n": 8}, "t": 1.0})
    server.publish({"type": "state", "state": "paused", "reason": "source stalled", "t": 2.0})
    server.publish({"type": "alert_raised", "alert_id": 1, "frame": 40, "score": 0.9, "t": 3.0})
    server.publish({"type": "alert_raised", "alert_id": 2, "frame": 90, "score": 0.95, "t": 4.0})
    server.publish({"type": "alert_cleared", "alert_id": 1, "t": 5.0})
    snap = read_events(server.url, 1)[0]
    assert snap["type"] == "snapshot" and snap["threshold"] == 0.753 and snap["alerts"]["k"] == 5
    assert snap["state"]["reason"] == "source stalled" and snap["active_alert"]["alert_id"] == 2
    assert [e["t"] for e in snap["alert_log"]] == [3.0, 4.0, 5.0] and not snap["ended"]
    server.publish({"type": "session_end", "summary": {"frames": 10}, "t": 6.0})
    state = json.loads(urllib.request.urlopen(server.url + "state", timeout=5).read())
    assert state["ended"] and state["summary"] == {"frames": 10}


def test_frames_are_drawn_in_the_style_the_page_asks_for(server):
    from cleftedge.runtime.annotate import FrameLayers

    image = np.full((240, 320, 3), 100, np.uint8)
    yy, xx = np.mgrid[0:240, 0:320]
    heat = np.exp(-(((xx - 160) / 60.0) ** 2 + ((yy - 120) / 45.0) ** 2)).astype(np.float32)
    LiveSink(server, max_fps=1000).frame_layers(7, FrameLayers(image, heat))

    def frame(style):
        with urllib.request.urlopen(server.url + f"frame.jpg?heat={style}", timeout=5) as resp:
            assert resp.headers["X-Frame"] == "7"
            return cv2.imdecode(np.frombuffer(resp.read(), np.uint8), cv2.IMREAD_COLOR).astype(int)

    off, outline, overlay = frame("off"), frame("outline"), frame("overlay")
    assert np.abs(off - 100).max() <= 3  # the clean frame: no heat map, no banner, no score bar
    changed = np.abs(outline - off).sum(axis=2) > 30
    assert 0 < changed.mean() < 0.08 and not changed[120, 160]  # thin lines; the centre stays visible
    assert np.abs(overlay - off).sum(axis=2)[120, 160] > 20 and np.abs(overlay - off).max() < 140  # translucent


def test_frame_endpoint_serves_the_latest_jpeg(server):
    assert urllib.request.urlopen(server.url + "frame.jpg", timeout=5).status == 204
    sink = LiveSink(server, max_fps=1000)
    sink.frame(0, np.full((48, 64, 3), 128, np.uint8))
    body = urllib.request.urlopen(server.url + "frame.jpg", timeout=5).read()
    assert body[:2] == b"\xff\xd8"


def test_address_parsing_defaults_to_loopback():
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address("0.0.0.0:9000") == ("0.0.0.0", 9000)
    with pytest.raises(CleftEdgeError):
        parse_address("localhost:http")


def test_busy_port_is_one_line_error(server):
    port = server.httpd.server_address[1]
    with pytest.raises(CleftEdgeError, match="choose another --serve port"):
        LiveServer("127.0.0.1", port)


def test_a_page_never_sees_the_stream_credentials(server):
    server.publish({"type": "session_start", "threshold": 0.753, "source": {
        "kind": "live", "location": "rtsp://admin:s3cret@10.0.0.7:554/stream1"}})
    snap = read_events(server.url, 1)[0]
    assert snap["type"] == "snapshot" and snap["threshold"] == 0.753
    assert snap["source"]["location"] == "rtsp://***@10.0.0.7:554/stream1"
    assert "s3cret" not in urllib.request.urlopen(server.url + "state", timeout=5).read().decode()
