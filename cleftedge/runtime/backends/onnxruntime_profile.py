"""onnxruntime's own profiler (SessionOptions.enable_profiling): a session of its own runs the batch,
writes its JSON trace (Chrome trace format) to a temporary folder, and the kernel times of the
nodes ORT ran (its optimised graph: fused nodes carry the fused names) are summed per node."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cleftedge.runtime.backends.perf import LayerProfile, layer_profile

WARMUP_RUNS = 3  # profiled but left out: the first runs allocate and pick kernels
SOURCE = "onnxruntime profiler"
KERNEL_SUFFIX = "_kernel_time"


def profile_session(make_session: Callable[..., Any], run: Callable[[Any], Any], runs: int) -> LayerProfile:
    """Run `run(session)` WARMUP_RUNS + `runs` times on a profiling session from `make_session(**settings)`."""
    with tempfile.TemporaryDirectory(prefix="cleftedge-ort-profile-") as folder:
        session = make_session(enable_profiling=True, profile_file_prefix=str(Path(folder) / "profile"))
        for _ in range(WARMUP_RUNS + runs):
            run(session)
        trace = Path(session.end_profiling())
        events = json.loads(trace.read_text())
    return layer_profile(SOURCE, runs, node_times(events, skip_runs=WARMUP_RUNS), "onnxruntime")


def node_times(events: Iterable[dict], skip_runs: int = 0) -> dict[tuple[str, str], float]:
    """{(node name, op type): total kernel ms} over the model runs in a trace, leaving out the first `skip_runs`."""
    events = list(events)
    model_runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                        key=lambda e: e["ts"])
    windows = [(e["ts"], e["ts"] + e["dur"]) for e in model_runs[skip_runs:]]
    times: dict[tuple[str, str], float] = {}
    for e in events:
        name = e.get("name", "")
        if e.get("cat") != "Node" or not name.endswith(KERNEL_SUFFIX):
            continue
        if not any(lo <= e["ts"] <= hi for lo, hi in windows):
            continue
        key = (name[:-len(KERNEL_SUFFIX)], str(e.get("args", {}).get("op_name", "?")))
        times[key] = times.get(key, 0.0) + e["dur"] / 1000.0  # the trace is in microseconds
    return times
