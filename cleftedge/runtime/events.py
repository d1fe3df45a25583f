"""Events (JSON lines) and the sinks that receive them.

Every event has `type`, `t` (wall clock, Unix seconds) and `session`; frame events carry `frame`.
Sinks implement emit(event), frame(index, image, result) and close(); `wants_frames` says whether a
sink needs annotated frames (annotation costs time, so it is done only for such sinks)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import TextIO


def new_session_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


class Sink:
    wants_frames = False

    def emit(self, event: dict) -> None:
        pass

    def frame(self, index: int, image, result) -> None:
        pass

    def close(self) -> None:
        pass


class JsonlSink(Sink):
    """JSON lines to a file or stdout ('-'); score events thinned to every Nth frame."""

    def __init__(self, target: str, score_every: int = 1):
        self.score_every = max(1, int(score_every))
        self._own = target != "-"
        if self._own:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.stream: TextIO = open(target, "w", buffering=1) if self._own else sys.stdout  # line-buffered

    def emit(self, event: dict) -> None:
        if event["type"] == "score" and event.get("frame", 0) % self.score_every and not event.get("flagged"):
            return
        self.stream.write(json.dumps(event, separators=(",", ":")) + "\n")

    def close(self) -> None:
        if self._own:
            self.stream.close()
        else:
            self.stream.flush()


class TerminalSink(Sink):
    """Calm, one line per alert or state change, as they happen."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._state = None

    def emit(self, event: dict) -> None:
        kind = event["type"]
        clock = time.strftime("%H:%M:%S", time.localtime(event["t"]))
        if kind == "alert_raised":
            self._print(f"{clock}  ALERT {event['alert_id']}: suspected cleft at frame {event['frame']} "
                        f"(score {event['score']:.2f})")
        elif kind == "alert_cleared":
            self._print(f"{clock}  alert {event['alert_id']} cleared at frame {event['end_frame']} (peak "
                        f"{event['peak_score']:.2f} at frame {event['best_frame']})")
        elif kind == "state" and event["state"] != self._state:
            self._state = event["state"]
            reason = f": {event['reason']}" if event.get("reason") else ""
            label = {"running": "AI running", "paused": "AI paused", "frozen": "image frozen",
                     "stopped": "AI stopped"}.get(event["state"], event["state"])
            self._print(f"{clock}  {label}{reason}")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _wants_frames(sink) -> bool:
    """Sinks that do not say (any object with emit/frame/close) get frames."""
    return bool(getattr(sink, "wants_frames", True))


def _frame_to(sink, index: int, image, result, layers) -> None:
    if layers is not None and hasattr(sink, "frame_layers"):
        sink.frame_layers(index, layers)
    else:
        sink.frame(index, image, result)


class Sinks:
    """Fan-out. A sink that fails is dropped with one line, and the others go on."""

    def __init__(self, sinks: list[Sink]):
        self.sinks = list(sinks)

    @property
    def wants_frames(self) -> bool:
        return any(_wants_frames(s) for s in self.sinks)

    def emit(self, event: dict) -> None:
        self._each(lambda s: s.emit(event))

    def frame(self, index: int, image, result, layers=None) -> None:
        """The annotated frame to every sink that wants frames; a sink with `frame_layers(index, layers)`
        gets the frame taken apart instead (the live page draws its own heat map and no banner)."""
        self._each(lambda s: _frame_to(s, index, image, result, layers) if _wants_frames(s) else None)

    def close(self) -> None:
        self._each(lambda s: s.close())

    def _each(self, call) -> None:
        for s in list(self.sinks):
            try:
                call(s)
            except Exception as exc:  # an output failing must not stop the scan's AI
                self.sinks.remove(s)
                print(f"cleftedge: warning: output {type(s).__name__} stopped ({exc})", file=sys.stderr)
