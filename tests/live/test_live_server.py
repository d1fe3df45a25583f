import json
import re
import threading
import time
import urllib.request

import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.live import LiveServer, LiveSink, parse_address


@pytest.fixture
def server():
    s = LiveServer("127.0.0.1", 0).start()
    yield s
    s.close()


def read_events(url, n, timeout=5.0):
    out = []
    with urllib.request.urlopen(url + "events", timeout=timeout) as resp:
        assert resp.headers["Content-Type"] == "text/event-stream"
        for raw in resp:
            line = raw.decode().strip()
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
                if len(out) >= n:
                    break
    return out


def test_page_is_self_contained_with_stable_ids(server):
    html = urllib.request.urlopen(server.url, timeout=5).read().decode()
    for element_id in ("live-image", "score", "state", "alert-banner", "watchdog", "alert-log"):
        assert f'id="{element_id}"' in html
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "@import" not in html and "AI not running" in html


def test_events_reach_the_page_in_order(server):
    sink = LiveSink(server)
    events = [{"type": "heartbeat", "frames": i, "dropped": 0, "state": "running"} for i in range(3)]

    def publish():
        time.sleep(0.3)  # after the browser has subscribed
        for e in events:
            sink.emit(e)

    threading.Thread(target=publish, daemon=True).start()
    got = read_events(server.url, 3)
    assert [e["frames"] for e in got] == [0, 1, 2]


def test_latest_state_is_replayed_to_a_new_page(server):
    server.publish({"type": "state", "state": "paused", "reason": "source stalled"})
    got = read_events(server.url, 1)
    assert got[0]["reason"] == "source stalled"


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
