"""Quantization libraries print progress and log lines on stdout (ORT's entropy calibrator, NNCF's
bars and logger); inside a recipe they go to stderr, so stdout stays clean for --json."""

from __future__ import annotations

import contextlib
import logging
import sys


@contextlib.contextmanager
def stdout_to_stderr(loggers: tuple[str, ...] = ("nncf",)):
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
