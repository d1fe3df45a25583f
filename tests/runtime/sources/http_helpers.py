"""Loopback HTTP servers started by the tests: real files over http.server, and a live MJPEG stream
(multipart/x-mixed-replace, as IP cameras and capture boxes serve it) that can be unplugged."""

import functools
import http.server
import threading
import time

import cv2
import numpy as np


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def write_mjpg(path, frames=60, fps=30.0, size=(64, 48)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(frames):
        w.write(np.full((size[1], size[0], 3), i * 4 % 256, np.uint8))
    w.release()
    return path


def start(server):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server):
    server.shutdown()
    server.server_close()


def serve_folder(folder):
    """A plain file server on the folder; returns (base url, server)."""
    srv = start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))))
    return f"http://127.0.0.1:{srv.server_port}", srv


class MjpegStream:
    """multipart/x-mixed-replace JPEG frames at `fps` for `seconds` per connection (None: endless);
    unplug() closes the port and the connections, replug() opens the same port again."""

    def __init__(self, fps=30.0, seconds=None):
        self.fps, self.seconds = fps, seconds
        self.plugged = threading.Event()
        self.port = 0
        self.server = None
        self.replug()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def replug(self):
        stream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i, t0 = 0, time.monotonic()
                try:
                    while stream.plugged.is_set() and (stream.seconds is None or i < stream.seconds * stream.fps):
                        jpg = cv2.imencode(".jpg", np.full((48, 64, 3), i * 4 % 256, np.uint8))[1].tobytes()
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                         % len(jpg) + jpg + b"\r\n")
                        self.wfile.flush()
                        i += 1
                        time.sleep(max(0.0, t0 + i / stream.fps - time.monotonic()))
                except OSError:
                    pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = start(http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler))
        self.port = self.server.server_port
        self.plugged.set()

    def unplug(self):
        self.plugged.clear()
        stop(self.server)
