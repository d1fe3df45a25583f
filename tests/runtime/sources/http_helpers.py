"""Loopback HTTP servers started by the tests: real files over http.server, and a live MJPEG stream
(multipart/x-mixed-replace, as IP cameras and capture boxes serve it) that can be unplugged."""

import functools
import http.server
import threading

import cv2
import numpy as np

from cleftedge.tools.mjpeg_server import MjpegServer, ramp_jpegs


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


def MjpegStream(fps=30.0, seconds=None):  # noqa: N802 (the tests' name for the one loopback camera)
    """A loopback MJPEG stream of grey ramp frames (cleftedge.tools.mjpeg_server), each connection from
    its first frame, for `seconds` (None: endless); unplug() / replug() on the same port."""
    return MjpegServer(ramp_jpegs(), fps=fps, seconds=seconds)
