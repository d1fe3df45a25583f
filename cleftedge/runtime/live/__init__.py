"""The sonographer's live view: a local web page fed by server-sent events (standard library only)."""

import sys

from cleftedge.runtime.live.access import Access, serve_access
from cleftedge.runtime.live.server import LiveServer, parse_address
from cleftedge.runtime.live.sink import LiveSink


def start_live_server(address: str, token_file: str | None = None, tls_cert: str | None = None,
                      tls_key: str | None = None, insecure_http: bool = False) -> LiveServer:
    """`--serve ADDRESS` with its access rules; says on stderr what it exposes and to whom."""
    host, port = parse_address(address)
    server = LiveServer(host, port, serve_access(host, token_file, tls_cert, tls_key, insecure_http)).start()
    print(server.access.notice(server.url), file=sys.stderr, flush=True)
    return server


__all__ = ["Access", "LiveServer", "LiveSink", "parse_address", "serve_access", "start_live_server"]
