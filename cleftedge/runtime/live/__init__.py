"""The sonographer's live view: a local web page fed by server-sent events (standard library only)."""

import sys

from cleftedge.runtime.live.access import Access, serve_access
from cleftedge.runtime.live.server import LiveServer, parse_address
from cleftedge.runtime.live.sink import LiveSink


def start_live_server(address: str, access: Access | None = None) -> LiveServer:
    """`--serve ADDRESS` with its access rules (serve_access; loopback's by default); says on stderr
    what it exposes and to whom."""
    host, port = parse_address(address)
    server = LiveServer(host, port, access or serve_access(host)).start()
    print(server.access.notice(server.url), file=sys.stderr, flush=True)
    return server


__all__ = ["Access", "LiveServer", "LiveSink", "parse_address", "serve_access", "start_live_server"]
