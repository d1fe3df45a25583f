"""The scan simulator as a live synthetic sweep: "sim:unilateral?seed=3&seconds=60&fps=30".

Live: frames come at the sweep's frame rate, each with its ground truth (in_plane, cleft). The
simulator is imported lazily: it is a development and demo source, not a cart dependency."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Source

KEYS = {"seed": int, "seconds": float, "fps": float, "severity": float}


def parse_sim(location: str) -> dict[str, Any]:
    """"unilateral?seed=3&seconds=60" -> the sweep's options (cleft, seed, seconds, fps, severity), checked."""
    from cleftedge.simulator.labels import CLEFT_KINDS

    parts = urlsplit(location)
    cleft = parts.path or "none"
    if cleft not in CLEFT_KINDS:
        raise CleftEdgeError(f"simulator source kind '{cleft}'", "sim:none, sim:unilateral or sim:bilateral",
                             "e.g. --source 'sim:unilateral?seed=3&seconds=60'")
    opts: dict[str, Any] = {"cleft": cleft, "seed": 0, "seconds": 60.0, "fps": 30.0, "severity": None}
    for key, values in parse_qs(parts.query).items():
        if key not in KEYS:
            raise CleftEdgeError(f"simulator source option '{key}'", "one of " + ", ".join(KEYS),
                                 "e.g. sim:unilateral?seed=3&seconds=60")
        try:
            opts[key] = KEYS[key](values[-1])
        except ValueError:
            raise CleftEdgeError(f"simulator source option {key}={values[-1]}", f"a {KEYS[key].__name__}",
                                 "e.g. sim:bilateral?seed=3&seconds=30") from None
    for key in ("seconds", "fps"):  # `not x > 0` and isfinite: nan and inf are refused too
        if not (math.isfinite(opts[key]) and opts[key] > 0):
            raise CleftEdgeError(f"simulator source {key}={opts[key]}", f"a positive, finite number for {key}",
                                 "e.g. sim:none?seconds=60&fps=30")
    if opts["severity"] is not None and not 0.0 <= opts["severity"] <= 1.0:  # nan fails both comparisons
        raise CleftEdgeError(f"simulator source severity={opts['severity']}", "a severity from 0 to 1",
                             "e.g. sim:unilateral?severity=0.6")
    return opts


class SimulatorSource(Source):
    name = "simulator"
    is_live = True

    def __init__(self, location: str):
        super().__init__(location)
        from cleftedge.simulator.sweep import iter_sweep

        o = parse_sim(location.removeprefix("sim:"))
        self.options = o
        self.fps: float = o["fps"]
        self._it = iter_sweep(o["seconds"], o["cleft"], o["seed"], o["fps"], o["severity"])

    def _next(self) -> tuple[np.ndarray, float, dict[str, Any]] | None:
        f = next(self._it, None)
        if f is None:
            return None
        pts = f.index / self.fps
        self._pace(pts)  # a live source: frames arrive at the scanner's rate
        return f.image, pts, {"in_plane": f.in_plane, "cleft": f.cleft, "severity": f.severity}

    def describe(self) -> dict:
        """The source's description (see `Source.describe`) with the sweep's cleft, seed, seconds, severity."""
        o = self.options
        return {**super().describe(), "cleft": o["cleft"], "seed": o["seed"], "seconds": o["seconds"],
                "severity": o["severity"]}
