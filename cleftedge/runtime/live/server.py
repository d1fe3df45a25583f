"""A small HTTP server for the live page: `/` the page, `/events` server-sent events, `/frame.jpg`
the latest annotated frame. Standard library only, no external loads: it works offline on a cart."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from cleftedge.errors import CleftEdgeError

SUBSCRIBER_QUEUE = 256  # events kept for a slow browser before the oldest are dropped
KEEPALIVE_S = 1.0


def parse_address(text: str) -> tuple[str, int]:
    """'8080' -> loopback:8080; 'HOST:PORT' as given. Loopback unless told otherwise."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CleftEdgeError(f"--serve address '{text}'", "PORT or HOST:PORT, e.g. 127.0.0.1:8080",
                             "give a port number from 0 to 65535")
    return host, int(port)


class _Hub:
    """Fan-out of events to every connected page, plus the latest frame."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue] = []
        self.latest_jpeg: bytes | None = None
        self.last_state: dict | None = None
        self.active_alert: dict | None = None  # replayed so a page opened mid-alert shows it
        self.closed = threading.Event()

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue(SUBSCRIBER_QUEUE)
        with self._lock:
            self._subscribers.append(q)
            for event in (self.last_state, self.active_alert):
                if event is not None:
                    q.put_nowait(event)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            if q in self._subscribers:
                self._subscribers.remove(q)

    def publish(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "state":
            self.last_state = event
        elif kind == "alert_raised":
            self.active_alert = event
        elif kind == "alert_cleared" and self.active_alert and \
                self.active_alert.get("alert_id") == event.get("alert_id"):
            self.active_alert = None
        with self._lock:
            subscribers = list(self._subscribers)
        for q in subscribers:
            try:
                q.put_nowait(event)
            except queue.Full:  # a stalled browser loses its oldest event, never blocks the runtime
                try:
                    q.get_nowait()
                    q.put_nowait(event)
                except (queue.Empty, queue.Full):
                    pass


def _page() -> bytes:
    return resources.files("cleftedge.runtime").joinpath("web/live.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    hub: _Hub  # set on the subclass made per server
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the terminal for alerts
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", _page())
        elif path == "/frame.jpg":
            jpeg = self.hub.latest_jpeg
            if jpeg is None:
                self._send(204, "text/plain", b"")
            else:
                self._send(200, "image/jpeg", jpeg)
        elif path == "/events":
            self._stream_events()
        elif path == "/healthz":
            self._send(200, "application/json", b'{"ok": true}')
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        q = self.hub.subscribe()
        try:
            while not self.hub.closed.is_set():
                try:
                    event = q.get(timeout=KEEPALIVE_S)
                    data = f"data: {json.dumps(event, separators=(',', ':'))}\n\n"
                except queue.Empty:
                    data = ": keepalive\n\n"  # a comment: keeps proxies open, is no heartbeat
                self.wfile.write(data.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.hub.unsubscribe(q)
            self.close_connection = True


class LiveServer:
    """Serve the live page on (host, port) in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080):
        self.hub = _Hub()
        handler = type("LiveHandler", (_Handler,), {"hub": self.hub})
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise CleftEdgeError(f"cannot serve the live page on {host}:{port} ({exc.strerror})",
                                 "a free port on a local address", "choose another --serve port") from None
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="live-view", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def publish(self, event: dict) -> None:
        self.hub.publish(event)

    def publish_jpeg(self, jpeg: bytes) -> None:
        self.hub.latest_jpeg = jpeg

    def close(self) -> None:
        self.hub.closed.set()
        self.httpd.shutdown()
        self.httpd.server_close()
