"""The one loopback MJPEG camera (cleftedge.tools.mjpeg_server) the HTTP-source tests and the soak
benchmark share: each connection from the first frame, or live (the clock picks the frame)."""

import urllib.request

from cleftedge.tools.mjpeg_server import MjpegServer

FRAMES = [b"\xff\xd8" + bytes([i]) * 16 + b"\xff\xd9" for i in range(100)]  # told apart by their bytes


def first_frame(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.headers["Content-Type"] == "multipart/x-mixed-replace; boundary=frame"
        head = r.read(200)
    return head.split(b"\r\n\r\n", 1)[1][:20]


def test_each_connection_starts_at_the_first_frame_unless_live():
    import time

    server = MjpegServer(FRAMES, fps=50.0, seconds=1)
    live = MjpegServer(FRAMES, fps=50.0, live=True)
    try:
        time.sleep(0.5)  # 25 frames' time
        assert first_frame(server.url) == FRAMES[0]
        assert FRAMES.index(first_frame(live.url)) >= 10  # a camera: what the clock shows now
        port = server.port
        server.unplug()
        server.replug()
        assert server.port == port and first_frame(server.url) == FRAMES[0]
    finally:
        server.unplug()
        live.unplug()
