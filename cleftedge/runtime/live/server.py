"""A small HTTP(S) server for the live page: `/` the page, `/events` server-sent events (the first
one a `snapshot` of the whole current picture), `/state` that snapshot as JSON, `/frame.jpg` the
latest frame (`?heat=outline|overlay|off`). Standard library only, no external loads: it works
offline on a cart. Off loopback every data endpoint asks for the access token (see access.py)."""

from __future__ import annotations

import json
import queue
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.live.access import COOKIE, Access
from cleftedge.runtime.live.hub import Hub

if TYPE_CHECKING:
    import socket
    import ssl

    from cleftedge.runtime.annotate import FrameLayers

KEEPALIVE_S = 1.0
HANDSHAKE_S = 10.0  # a client that opens a TLS connection and says nothing is dropped after this
MAX_LOGIN_BYTES = 4096
OPEN_PATHS = ("/healthz",)  # says only that the server is up; no data


def parse_address(text: str) -> tuple[str, int]:
    """'8080' -> loopback:8080; 'HOST:PORT' as given. Loopback unless told otherwise."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CleftEdgeError(f"--serve address '{text}'", "PORT or HOST:PORT, e.g. 127.0.0.1:8080",
                             "give a port number from 0 to 65535")
    return host, int(port)


def _web(name: str) -> bytes:
    return resources.files("cleftedge.runtime").joinpath(f"web/{name}").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    hub: Hub  # set on the subclass made per server
    access: Access
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:  # the terminal is for alerts; no token reaches a log
        pass

    # --- who is asking ------------------------------------------------------
    def _presented_token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:  # a malformed cookie header is no token
            return None
        morsel = jar.get(COOKIE)
        return morsel.value if morsel is not None else None

    def _allowed(self) -> bool:
        return self.access.allows(self._presented_token())

    # --- routes -------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path, _, query = self.path.partition("?")
        if path in OPEN_PATHS:
            self._send(200, "application/json", b'{"ok": true}')
            return
        if not self._allowed():
            if path in ("/", "/index.html"):  # the page asks for the token once
                self._send(401, "text/html; charset=utf-8", _web("login.html"))
            else:
                self._send(401, "text/plain", b"access token required")
            return
        if path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", _web("live.html"))
        elif path == "/frame.jpg":
            style = parse_qs(query).get("heat", ["outline"])[0]
            jpeg, frame = self.hub.jpeg(style)
            if jpeg is None:
                self._send(204, "text/plain", b"")
            else:
                self._send(200, "image/jpeg", jpeg, {"X-Frame": str(frame)})
        elif path == "/state":
            self._send(200, "application/json", json.dumps(self.hub.snapshot()).encode())
        elif path == "/events":
            self._stream_events()
        else:
            self._send(404, "text/plain", b"not found")

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] != "/login":
            self._send(404, "text/plain", b"not found")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_LOGIN_BYTES:
            self._send(413, "text/plain", b"too large")
            return
        token = parse_qs(self.rfile.read(length).decode(errors="replace")).get("token", [""])[0].strip()
        if self.access.token is None or not self.access.allows(token):
            self._send(401, "text/html; charset=utf-8", _web("login.html").replace(b"<!--error-->",
                       b'<p id="login-error">That token is not right.</p>'))
            return
        self.send_response(303)
        self.send_header("Set-Cookie", self.access.cookie())
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, code: int, ctype: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
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
            while True:
                try:
                    event = q.get(timeout=KEEPALIVE_S)
                    data = f"data: {json.dumps(event, separators=(',', ':'))}\n\n"
                except queue.Empty:
                    if self.hub.closed.is_set():  # only once what was published has gone out
                        break
                    data = ": keepalive\n\n"  # a comment: keeps proxies open, is no heartbeat
                self.wfile.write(data.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass
        finally:
            self.hub.unsubscribe(q)
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """TLS, when asked, is negotiated in the request's own thread: a slow client never holds up accept."""

    daemon_threads = True
    ssl_context: ssl.SSLContext | None = None

    # a TCP server's request is a socket (the base's type also allows a UDP server's (data, socket) pair)
    def finish_request(self, request: socket.socket, client_address: Any) -> None:  # type: ignore[override]
        if self.ssl_context is not None:
            request.settimeout(HANDSHAKE_S)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError):  # a plain-HTTP client or a broken handshake: nothing to serve
                return
            request.settimeout(30.0)
            try:
                super().finish_request(request, client_address)
            finally:
                request.close()  # the TLS socket owns the connection now (the plain one is detached)
            return
        super().finish_request(request, client_address)


class LiveServer:
    """Serve the live page on (host, port) in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080, access: Access | None = None) -> None:
        self.hub = Hub()
        self.access = access or Access(host)
        handler = type("LiveHandler", (_Handler,), {"hub": self.hub, "access": self.access})
        try:
            self.httpd = _Server((host, port), handler)
        except OSError as exc:
            raise CleftEdgeError(f"cannot serve the live page on {host}:{port} ({exc.strerror})",
                                 "a free port on a local address", "choose another --serve port") from None
        self.httpd.ssl_context = self.access.ssl_context
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="live-view", daemon=True)

    @property
    def url(self) -> str:
        """The page's address (http or https, the port the server got)."""
        host, port = self.httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host  # AF_INET gives a str; typeshed allows bytes
        return f"{self.access.scheme}://{host}:{port}/"

    def start(self) -> LiveServer:
        """Serve in the background thread; returns self."""
        self._thread.start()
        return self

    def publish(self, event: dict[str, Any]) -> None:
        """Hand an event to every page (see Hub.publish)."""
        self.hub.publish(event)

    def publish_jpeg(self, jpeg: bytes) -> None:
        """The latest frame, already encoded."""
        self.hub.publish_jpeg(jpeg)

    def publish_layers(self, frame: int, layers: FrameLayers) -> None:
        """The latest frame taken apart; the page's JPEG is drawn from it when asked."""
        self.hub.publish_layers(frame, layers)

    def close(self) -> None:
        """Let the pages learn the session ended, then stop serving and free the port."""
        self.hub.drain()  # the page learns the session ended before the server goes
        self.hub.closed.set()
        self.httpd.shutdown()
        self.httpd.server_close()
