"""Events (JSON lines) and the sinks that receive them.

Every event has `type`, `t` (wall clock, Unix seconds), `session` and `schema` (EVENTS_SCHEMA); frame
events carry `frame` and `t_capture`. A file of events is appended to, never truncated: each session
starts with its `session_start`, and the file is rotated by size (events.jsonl.1 the newest rotated).
Sinks implement emit(event), frame(index, image, result) and close(); `wants_frames` says whether a
sink needs annotated frames (annotation costs time, so it is done only for such sinks)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from cleftedge.runtime import event_types

if TYPE_CHECKING:
    from cleftedge.runtime.annotate import FrameLayers
    from cleftedge.runtime.model import Prediction

EVENTS_SCHEMA = 2  # 2: appended files with rotation, `schema` on every event, frame_error.t_capture
ROTATE_MIB = 256.0
KEEP_ROTATED = 5  # events.jsonl.1 .. .5; older ones are deleted


def new_session_id() -> str:
    """A new session id: the local start time and six random hex digits, e.g. 20261201-221500-3fa2b1."""
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


class Sink:
    """The sink contract (each method does nothing here): events, annotated frames, the end."""

    wants_frames = False

    def emit(self, event: dict) -> None:
        """One event (a dict as events are written)."""

    def frame(self, index: int, image: np.ndarray, result: Prediction) -> None:
        """One annotated BGR frame and the model's prediction for it (only when `wants_frames`)."""

    def close(self) -> None:
        """The session ended: flush and release."""


class JsonlSink(Sink):
    """JSON lines to a file or stdout ('-'); score events thinned to every Nth frame.

    A file is opened for appending: a previous session (one that crashed included) is never lost.
    Past `max_mib` the file is renamed to FILE.1 (FILE.1 to FILE.2 ..., keeping `keep` of them) and
    a new FILE starts with an `events_continued` line naming the session."""

    def __init__(self, target: str, score_every: int = 1, max_mib: float = ROTATE_MIB,
                 keep: int = KEEP_ROTATED) -> None:
        self.score_every = max(1, int(score_every))
        self._own = target != "-"
        self.path = Path(target)
        self.max_bytes = int(max_mib * 1024 * 1024)
        self.keep = max(1, int(keep))
        self.stream: TextIO = self._open() if self._own else sys.stdout
        self.rotations = 0

    def _open(self) -> TextIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(self.path, "a", buffering=1)  # line-buffered: each event reaches the file whole
        if stream.tell() > 0 and not _ends_with_newline(self.path):
            stream.write("\n")  # a crash cut the last line short: the next session starts on its own line
        return stream

    def emit(self, event: dict) -> None:
        """Write the event as one JSON line (a score event only every Nth frame, or when flagged)."""
        if event["type"] == event_types.SCORE and event.get("frame", 0) % self.score_every and not event.get("flagged"):
            return
        line = json.dumps(event, separators=(",", ":")) + "\n"
        if self._own and self.stream.tell() + len(line) > self.max_bytes and self.stream.tell() > 0:
            self._rotate(event)
        self.stream.write(line)

    def _rotate(self, event: dict) -> None:
        self.stream.close()
        for i in range(self.keep, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{i}")
            if older.exists():
                if i == self.keep:
                    older.unlink()
                else:
                    os.replace(older, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        self.rotations += 1
        self.stream = self._open()
        head = {"type": event_types.EVENTS_CONTINUED, "t": event["t"], "session": event.get("session"),
                "schema": EVENTS_SCHEMA, "previous": self.path.name + ".1"}
        self.stream.write(json.dumps(head, separators=(",", ":")) + "\n")

    def close(self) -> None:
        """Close the file (stdout is flushed, not closed)."""
        if self._own:
            self.stream.close()
        else:
            self.stream.flush()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


class TerminalSink(Sink):
    """Calm, one line per alert or state change, as they happen."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._state: str | None = None

    def emit(self, event: dict) -> None:
        """Print a line for an alert raised or cleared and for a change of state."""
        kind = event["type"]
        clock = time.strftime("%H:%M:%S", time.localtime(event["t"]))
        if kind == event_types.ALERT_RAISED:
            self._print(f"{clock}  ALERT {event['alert_id']}: suspected cleft at frame {event['frame']} "
                        f"(score {event['score']:.2f})")
        elif kind == event_types.ALERT_CLEARED:
            self._print(f"{clock}  alert {event['alert_id']} cleared at frame {event['end_frame']} (peak "
                        f"{event['peak_score']:.2f} at frame {event['best_frame']})")
        elif kind == event_types.STATE and event["state"] != self._state:
            self._state = event["state"]
            reason = f": {event['reason']}" if event.get("reason") else ""
            label = {"running": "AI running", "paused": "AI paused", "frozen": "image frozen",
                     "stopped": "AI stopped"}.get(event["state"], event["state"])
            self._print(f"{clock}  {label}{reason}")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _wants_frames(sink: Sink) -> bool:
    """Sinks that do not say (any object with emit/frame/close) get frames."""
    return bool(getattr(sink, "wants_frames", True))


def _frame_to(sink: Sink, index: int, image: np.ndarray, result: Prediction, layers: FrameLayers | None) -> None:
    if layers is not None and hasattr(sink, "frame_layers"):
        sink.frame_layers(index, layers)
    else:
        sink.frame(index, image, result)


class Sinks:
    """Fan-out. A sink that fails is dropped with one line, and the others go on."""

    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = list(sinks)

    @property
    def wants_frames(self) -> bool:
        """Whether any sink wants annotated frames (annotation is done only then)."""
        return any(_wants_frames(s) for s in self.sinks)

    def emit(self, event: dict) -> None:
        """The event to every sink."""
        self._each(lambda s: s.emit(event))

    def frame(self, index: int, image: np.ndarray, result: Prediction, layers: FrameLayers | None = None) -> None:
        """The annotated frame to every sink that wants frames; a sink with `frame_layers(index, layers)`
        gets the frame taken apart instead (the live page draws its own heat map and no banner)."""
        self._each(lambda s: _frame_to(s, index, image, result, layers) if _wants_frames(s) else None)

    def close(self) -> None:
        """Close every sink."""
        self._each(lambda s: s.close())

    def _each(self, call: Callable[[Sink], object]) -> None:
        for s in list(self.sinks):
            try:
                call(s)
            except Exception as exc:  # an output failing must not stop the scan's AI
                self.sinks.remove(s)
                print(f"cleftedge: warning: output {type(s).__name__} stopped ({exc})", file=sys.stderr)
