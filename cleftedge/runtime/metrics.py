"""Latency per stage and end to end, against a budget, in bounded memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAGES = ("capture", "preprocess", "inference", "decision", "end_to_end")


@dataclass(frozen=True)
class StageClock:
    """When one request passed each step of the model, in time.monotonic() seconds: picked up
    (before preprocessing), preprocessed, and inferred (the scores ready)."""

    started: float
    preprocessed: float
    inferred: float

    def stages_ms(self, decided: float, captured: float | None) -> tuple[float | None, float, float, float, float]:
        """Milliseconds per stage as STAGES names them, once the decision on the scores was taken at
        `decided`; `captured` is when the frame was captured (None where nothing captures it: bench),
        and end to end runs from it, else from `started`."""
        since = self.started if captured is None else captured
        return (None if captured is None else (self.started - captured) * 1e3,
                (self.preprocessed - self.started) * 1e3, (self.inferred - self.preprocessed) * 1e3,
                (decided - self.inferred) * 1e3, (decided - since) * 1e3)


class Reservoir:
    """The last `capacity` samples (a ring buffer) plus exact count, max and sum over all."""

    def __init__(self, capacity: int = 20000) -> None:
        self.buf = np.zeros(capacity, np.float64)
        self.n = 0
        self.max = 0.0
        self.total = 0.0

    def add(self, value: float) -> None:
        """Count one value (the reservoir keeps the latest; the count, total and maximum cover all)."""
        self.buf[self.n % len(self.buf)] = value
        self.n += 1
        self.total += value
        if value > self.max:
            self.max = value

    def values(self) -> np.ndarray:
        """The samples kept (the last `capacity`), oldest first until the buffer wraps."""
        return self.buf[: min(self.n, len(self.buf))]

    def summary(self) -> dict:
        """count, mean, p50, p95, p99 and max ({"count": 0} without samples)."""
        v = self.values()
        if not len(v):
            return {"count": 0}
        p50, p95, p99 = np.percentile(v, [50, 95, 99])
        return {"count": self.n, "mean": self.total / self.n, "p50": float(p50), "p95": float(p95),
                "p99": float(p99), "max": self.max}


class LatencyMetrics:
    """Per-stage reservoirs, frame count, drops and over-budget counts of one session or bench run."""

    def __init__(self, fps: float = 30.0, budget_ms: float = 50.0, capacity: int = 20000) -> None:
        self.fps = fps
        self.budget_ms = budget_ms
        self.stages = {s: Reservoir(capacity) for s in STAGES}
        self.frames = 0
        self.dropped = 0
        self.overruns = 0  # frames whose end-to-end latency exceeded the budget
        self.slow = 0  # frames whose processing took longer than one frame interval

    def record(self, clock: StageClock, decided: float, captured: float | None = None) -> None:
        """One request's stages from its clock (the one way `run` and `bench` add a request)."""
        self.add(*clock.stages_ms(decided, captured))

    def add(self, capture: float | None, preprocess: float, inference: float, decision: float,
            end_to_end: float) -> None:
        """Milliseconds per stage; capture is None where there is no capture (bench)."""
        for name, ms in zip(STAGES, (capture, preprocess, inference, decision, end_to_end), strict=True):
            if ms is not None:
                self.stages[name].add(ms)
        self.frames += 1
        if end_to_end > self.budget_ms:
            self.overruns += 1
        if preprocess + inference + decision > 1000.0 / self.fps:
            self.slow += 1

    def samples(self, stage: str) -> list[float]:
        """The kept samples of one stage (milliseconds), e.g. for the review's latency histogram."""
        return self.stages[stage].values().tolist()

    def summary(self) -> dict:
        """Frames, drops, budget, overruns and per-stage percentiles: the latency event and the summary."""
        e2e = self.stages["end_to_end"].summary()
        return {"frames": self.frames, "dropped": self.dropped, "budget": {"fps": self.fps, "ms": self.budget_ms},
                "overruns": self.overruns, "slower_than_frame_interval": self.slow,
                "within_budget": bool(self.frames and e2e.get("p99", 0.0) <= self.budget_ms),
                "stages": {s: r.summary() for s, r in self.stages.items()}}

    def table(self) -> str:
        """The terminal table of stage percentiles with the budget verdict."""
        rows = [f"{'stage':<12} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)"]
        for name, r in self.stages.items():
            s = r.summary()
            if s["count"]:
                rows.append(f"{name:<12} {s['p50']:>8.2f} {s['p95']:>8.2f} {s['p99']:>8.2f} {s['max']:>8.2f}")
        e2e = self.stages["end_to_end"].summary()
        verdict = "no frames: nothing within" if not self.frames else \
            "within" if e2e.get("p99", 0) <= self.budget_ms else "OVER"
        rows.append(f"budget {self.budget_ms:g} ms at {self.fps:g} fps: p99 {verdict} budget; "
                    f"{self.frames} frames, {self.dropped} dropped, {self.overruns} over budget")
        return "\n".join(rows)
