"""What a backend's throughput run and per-layer profile give back, as plain data
(Backend.run_throughput, Backend.profile_layers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cleftedge.errors import CleftEdgeError


@dataclass(frozen=True)
class RunLength:
    """How long a throughput run lasts: `seconds` of wall clock, or `requests` requests (one of the two)."""

    seconds: float | None = None
    requests: int | None = None

    def check(self) -> RunLength:
        """This run length when it is exactly one positive duration or request count; else a one-line CleftEdgeError."""
        if (self.seconds is None) == (self.requests is None):
            raise CleftEdgeError("a run given both or neither of a duration and a request count",
                                 "one of the two", "pass -t SECONDS or --frames N")
        if self.seconds is not None and not self.seconds > 0:
            raise CleftEdgeError(f"duration {self.seconds} s", "a positive number of seconds", "e.g. -t 10")
        if self.requests is not None and self.requests < 1:
            raise CleftEdgeError(f"{self.requests} requests", "1 or more", "e.g. --frames 300")
        return self

    def clock(self) -> RunClock:
        """A clock started now that says when this run length is used up."""
        return RunClock(self, time.perf_counter())


class RunClock:
    """Counts requests started and says when to stop; the deadline is fixed when the run starts."""

    def __init__(self, length: RunLength, start: float):
        self.start = start
        self.deadline = None if length.seconds is None else start + length.seconds
        self.limit = length.requests
        self.started = 0
        self._lock = threading.Lock()  # several threads may ask at once (run_threads)

    def more(self) -> bool:
        """True while another request should start (and counts it)."""
        with self._lock:
            if self.limit is not None and self.started >= self.limit:
                return False
            if self.deadline is not None and time.perf_counter() >= self.deadline:
                return False
            self.started += 1
            return True


@dataclass(frozen=True)
class ThroughputRun:
    """A throughput run: requests of `batch` frames each, up to `streams` in flight at once.

    wall_ms: each request from its start to its result, as the caller sees it; engine_ms: the
    library's own time for each (OpenVINO's InferRequest.latency), None where it reports none.
    seconds: wall clock from the first start to the last result."""

    requests: int
    batch: int
    streams: int
    seconds: float
    wall_ms: tuple[float, ...]
    engine_ms: tuple[float, ...] | None

    @property
    def frames(self) -> int:
        """Frames run: requests times the batch."""
        return self.requests * self.batch

    @property
    def fps(self) -> float:
        """Frames per second over the run (0 for a run of no time)."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def run_threads(call: Callable[[], Any], clock: RunClock, streams: int, batch: int) -> ThroughputRun:
    """`streams` threads, each running `call` (one request) while `clock.more()`: for libraries
    whose blocking call releases the GIL (onnxruntime). An error in any thread ends the run and is raised."""
    wall: list[float] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while not errors and clock.more():
                start = time.perf_counter()
                call()
                wall.append((time.perf_counter() - start) * 1000.0)  # list.append is atomic
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=worker, name=f"cleftedge-stream-{i}", daemon=True) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return ThroughputRun(len(wall), batch, streams, time.perf_counter() - clock.start, tuple(wall), None)


@dataclass(frozen=True)
class LayerTime:
    """One layer of the graph the engine runs (after its own fusions), its kind and its total time over the runs."""

    name: str
    kind: str
    total_ms: float


@dataclass(frozen=True)
class LayerProfile:
    """Per-layer times over `runs` inferences, slowest first, as the engine's own profiler reports them."""

    source: str  # which profiler measured it
    runs: int
    layers: tuple[LayerTime, ...]

    @property
    def total_ms(self) -> float:
        """The sum of every layer's time, ms."""
        return sum(t.total_ms for t in self.layers)

    def rows(self) -> list[dict]:
        """Every layer with its time per run (ms) and its share of the layers' total (%), slowest first."""
        total = self.total_ms
        return [{"name": t.name, "type": t.kind, "ms_per_run": t.total_ms / self.runs,
                 "share": 100.0 * t.total_ms / total} for t in self.layers]


def layer_profile(source: str, runs: int, times: dict[tuple[str, str], float], backend: str) -> LayerProfile:
    """A LayerProfile from {(layer name, kind): total ms}; refuses a profile with no time in it.

    A layer that ran but stayed below the profiler's resolution in every run is kept at 0 ms: dropping it
    would make the layer count of a small model change from one run to the next."""
    layers = tuple(sorted((LayerTime(name, kind, max(ms, 0.0)) for (name, kind), ms in times.items()),
                          key=lambda t: (-t.total_ms, t.name)))
    if not layers or sum(t.total_ms for t in layers) <= 0:
        raise CleftEdgeError(f"{source} reported no layer time for {runs} runs on the {backend} backend",
                             "per-layer times above the profiler's resolution",
                             "profile a larger batch (--batch) or a larger model")
    return LayerProfile(source, runs, layers)
