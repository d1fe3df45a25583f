"""The sonographer's live view: a local web page fed by server-sent events (standard library only)."""

from cleftedge.runtime.live.server import LiveServer, parse_address
from cleftedge.runtime.live.sink import LiveSink

__all__ = ["LiveServer", "LiveSink", "parse_address"]
