"""Quantization libraries print progress and log lines on stdout (ORT's entropy calibrator, NNCF's
bars and logger); inside a recipe they go to stderr, so stdout stays clean for --json."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stdout_to_stderr(loggers: tuple[str, ...] = ("nncf",)) -> Iterator[None]:
    """A context in which prints and the `loggers`' stdout handlers go to stderr, so that a library's chatter never
    mixes into --json output."""
    handlers = [h for name in loggers for h in logging.getLogger(name).handlers
                if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stdout]
    for h in handlers:
        h.setStream(sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for h in handlers:
            h.setStream(sys.stdout)
