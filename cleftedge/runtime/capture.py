"""Capture in its own thread, into a one-slot mailbox: the newest frame wins.

For a live source (or a file played in real time) a frame that the pipeline has not taken yet is
replaced by the next one and counted as dropped: inference never works on stale frames and nothing
queues up. A file played as fast as possible waits for the pipeline instead (no drops)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Frame, Source, SourceError


@dataclass
class Notice:
    """What the capture thread tells the pipeline besides frames."""

    kind: str  # "ended" | "stalled" | "error"
    reason: str


class Mailbox:
    """One frame slot plus a queue of notices, shared by the capture thread and the pipeline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._notices: list[Notice] = []
        self.dropped = 0

    def put_latest(self, frame: Frame) -> None:
        """Put a frame in the slot, replacing (and counting as dropped) one not taken yet."""
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def put_wait(self, frame: Frame, stop: threading.Event) -> None:
        """Put a frame in the slot once the last one was taken (or `stop` is set): no drops."""
        with self._cond:
            while self._frame is not None and not stop.is_set():
                self._cond.wait(0.1)
            self._frame = frame
            self._cond.notify_all()

    def notice(self, notice: Notice) -> None:
        """Queue a notice (source ended, stalled or failed) for the pipeline."""
        with self._cond:
            self._notices.append(notice)
            self._cond.notify_all()

    def get(self, timeout: float) -> Frame | Notice | None:
        """The waiting frame, else the oldest notice, else None after `timeout` seconds."""
        with self._cond:
            if self._frame is None and not self._notices:
                self._cond.wait(timeout)
            if self._frame is not None:  # frames before notices: the last frame of a file still counts
                frame, self._frame = self._frame, None
                self._cond.notify_all()
                return frame
            if self._notices:
                return self._notices.pop(0)
            return None


class Capture:
    """Reads a source into a Mailbox on a daemon thread; retries a lost live source with backoff."""

    def __init__(self, source: Source, mailbox: Mailbox, wait_for_consumer: bool,
                 backoff: tuple[float, float] = (0.5, 8.0)) -> None:
        self.source = source
        self.mailbox = mailbox
        self.wait_for_consumer = wait_for_consumer
        self.backoff = backoff
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="capture", daemon=True)

    def start(self) -> Capture:
        """Start reading on the capture thread; returns self."""
        self.thread.start()
        return self

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self.stop.is_set():
            try:
                frame = self.source.read()
            except SourceError as exc:
                self.mailbox.notice(Notice("stalled", str(exc)))
                self.stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                try:
                    self.source.reopen()
                except SourceError:
                    pass
                continue
            except CleftEdgeError as exc:
                self.mailbox.notice(Notice("error", exc.line()))
                return
            except Exception as exc:  # a broken decoder must not kill the runtime silently
                self.mailbox.notice(Notice("error", f"{type(exc).__name__}: {exc}"))
                return
            delay = self.backoff[0]
            if frame is None:
                self.mailbox.notice(Notice("ended", "source ended"))
                return
            if self.wait_for_consumer:
                self.mailbox.put_wait(frame, self.stop)
            else:
                self.mailbox.put_latest(frame)

    def close(self) -> None:
        """Stop the thread (waiting up to 2 s) and close the source."""
        self.stop.set()
        self.thread.join(timeout=2.0)
        self.source.close()
