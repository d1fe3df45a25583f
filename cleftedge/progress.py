"""A small progress bar on stderr (no dependency); silent when stderr is not a terminal
unless forced, so logs and CI output stay readable."""

import os
import sys
import time


class Progress:
    def __init__(self, total: int | None, label: str, enabled: bool | None = None, stream=None):
        self.total = total
        self.label = label
        self.count = 0
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() or os.environ.get("CLEFTEDGE_PROGRESS") == "1"
        self.enabled = enabled
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        """Count `n` more items done; redraws at most five times a second (and at the last item)."""
        self.count += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.count == self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self._start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        if self.total:
            frac = min(1.0, self.count / self.total)
            bar = "#" * int(frac * 24)
            text = f"\r{self.label} [{bar:<24}] {self.count}/{self.total} {rate:.0f}/s"
        else:
            text = f"\r{self.label} {self.count} {rate:.0f}/s"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line (nothing when the bar is disabled)."""
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
