"""A loopback MJPEG camera: JPEG frames served as multipart/x-mixed-replace over HTTP, as IP cameras
and capture boxes serve them, that can be unplugged and plugged in again on the same port. For
trying `cleftedge run --source http://...` without a camera: the tests of the HTTP source and the
soak benchmark (benchmarks/bench_soak.py) use it."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Sequence


def ramp_jpegs(count: int = 64, size: tuple[int, int] = (64, 48)) -> list[bytes]:
    """`count` small grey JPEG frames whose level rises by 4 per frame (frame i is i*4 % 256)."""
    import cv2
    import numpy as np

    return [cv2.imencode(".jpg", np.full((size[1], size[0], 3), i * 4 % 256, np.uint8))[1].tobytes()
            for i in range(count)]


class MjpegServer:
    """Serves `jpegs` (looped) at `fps` on 127.0.0.1 at /stream.mjpg. `live`: the wall clock since the
    server started picks the frame, as a camera's does (a late reader misses frames); else every
    connection gets the frames from the first. `seconds`: each connection ends after that long (None:
    endless). unplug() closes the port and every connection; replug() opens the same port again."""

    def __init__(self, jpegs: Sequence[bytes], fps: float = 30.0, seconds: float | None = None,
                 live: bool = False) -> None:
        self.jpegs, self.fps, self.seconds, self.live = list(jpegs), fps, seconds, live
        self.t0 = time.monotonic()
        self.plugged = threading.Event()
        self.port = 0  # a free port on the first plug, then that one again
        self.server: http.server.ThreadingHTTPServer | None = None
        self.replug()

    @property
    def url(self) -> str:
        """The stream's address, for --source."""
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        stream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                t0 = stream.t0 if stream.live else time.monotonic()
                sent = 0
                try:
                    while stream.plugged.is_set() and (stream.seconds is None or sent < stream.seconds * stream.fps):
                        i = int((time.monotonic() - t0) * stream.fps) if stream.live else sent
                        jpg = stream.jpegs[i % len(stream.jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                         % len(jpg) + jpg + b"\r\n")
                        self.wfile.flush()
                        sent += 1
                        time.sleep(max(0.0, t0 + (i + 1) / stream.fps - time.monotonic()))
                except OSError:  # the reader went away
                    pass

        return Handler

    def replug(self) -> None:
        """Open the port (the same one after an unplug) and serve."""
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.plugged.set()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def unplug(self) -> None:
        """Close the port and every connection (streaming handlers leave their loop)."""
        self.plugged.clear()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
