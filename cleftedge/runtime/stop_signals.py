"""SIGTERM (systemd's stop and restart) and SIGINT (Ctrl-C) close a session cleanly instead of
killing it: the first one sets an Event the pipeline checks every loop (at most 0.25 s), so the
session ends as any other (state stopped, session_end, summary and report written). A second
signal of either kind while closing takes the default way out (an operator who means it)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

EXIT_CODES = {"SIGTERM": 0, "SIGINT": 130}  # systemd treats 0 as a clean stop; 130 is the shell's Ctrl-C


class StopRequest(threading.Event):
    """Set by a signal; `reason` says which ("stopped by SIGTERM"), `signal_name` for the exit code."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ""
        self.signal_name = ""

    def exit_code(self) -> int | None:
        """The process's exit code for the signal that stopped it (0 for SIGTERM, 130 for SIGINT); None without one."""
        return EXIT_CODES.get(self.signal_name)


def install_stop_handlers() -> tuple[StopRequest, dict]:
    """Install the handlers (main thread only); returns the request and the previous handlers."""
    stop = StopRequest()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():  # second signal: give up closing cleanly
            restore_handlers(previous)
            signal.raise_signal(signum)
            return
        stop.signal_name = name
        stop.reason = f"stopped by {name}"
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    return stop, previous


def restore_handlers(previous: dict) -> None:
    """Put back the signal handlers `install_stop_handlers` replaced (signal number -> handler)."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)
