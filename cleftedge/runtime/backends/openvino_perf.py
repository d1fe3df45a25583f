"""OpenVINO for `cleftedge bench`: a throughput run as benchmark_app runs one (as many infer
requests as the compiled model asks for, OPTIMAL_NUMBER_OF_INFER_REQUESTS, each restarted as soon
as it is done) and a per-layer profile from the performance counters of a model
compiled with PERF_COUNT (ov.properties.enable_profiling)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from cleftedge.runtime.backends.perf import LayerProfile, RunClock, ThroughputRun, layer_profile

WARMUP_RUNS = 3  # run before the counted ones: the first runs allocate and pick kernels
SOURCE = "OpenVINO performance counters"


def optimal_requests(ov: Any, compiled: Any) -> int:
    """How many requests the compiled model runs at once (1 where the device does not say)."""
    try:
        return max(1, int(compiled.get_property(ov.properties.optimal_number_of_infer_requests)))
    except Exception:  # a plugin without the property
        return 1


def request_queue(ov: Any, compiled: Any) -> Any:
    """An AsyncInferQueue of `optimal_requests`; kept by the backend, so that a warm-up run warms
    the very requests the timed run uses (a fresh request pays its allocations on its first run)."""
    return ov.AsyncInferQueue(compiled, optimal_requests(ov, compiled))


def run_queue(ov: Any, compiled: Any, queue: Any, batch: np.ndarray, clock: RunClock) -> ThroughputRun:
    """Keep every request of `queue` busy with `batch` while `clock.more()`, as benchmark_app's
    inference-only loop does: wait for an idle request, read its figures, restart it.

    No Python callback: one that still wants the GIL while the compiled model is being destroyed
    deadlocks the process (seen here with 2026.4). Each request's start time rides as its userdata."""
    jobs = len(queue)
    tensor = _input_tensor(ov, compiled, batch)
    for i in range(len(queue)):  # every request reads the same input; nothing is copied per request
        queue[i].set_input_tensor(tensor)
    wall: list[float] = []
    engine: list[float] = []
    in_flight: set[int] = set()

    def record(request_id: int) -> None:
        wall.append((time.perf_counter() - queue.userdata[request_id]) * 1000.0)
        engine.append(queue[request_id].latency)

    while clock.more():
        idle = queue.get_idle_request_id()  # blocks (without the GIL) until a request is free
        if idle in in_flight:
            record(idle)
        in_flight.add(idle)
        queue.start_async(userdata=time.perf_counter())
    queue.wait_all()
    seconds = time.perf_counter() - clock.start
    for request_id in sorted(in_flight):
        record(request_id)
    return ThroughputRun(len(wall), batch.shape[0], jobs, seconds, tuple(wall), tuple(engine))


def profile_compiled(compiled: Any, batch: np.ndarray, runs: int) -> LayerProfile:
    """Sum each executed layer's real time over `runs` inferences (the counters hold the last one)."""
    import openvino as ov

    request = compiled.create_infer_request()
    request.set_input_tensor(_input_tensor(ov, compiled, batch))
    times: dict[tuple[str, str], float] = {}
    for i in range(WARMUP_RUNS + runs):
        request.infer()
        if i < WARMUP_RUNS:
            continue
        for info in request.profiling_info:
            if info.status == ov.ProfilingInfo.Status.EXECUTED:
                key = (info.node_name, info.node_type)
                times[key] = times.get(key, 0.0) + info.real_time.total_seconds() * 1000.0
    return layer_profile(SOURCE, runs, times, "openvino")


def _input_tensor(ov: Any, compiled: Any, batch: np.ndarray) -> Any:
    kind = compiled.inputs[0].get_element_type()
    if kind == ov.Type.f32:
        return ov.Tensor(np.ascontiguousarray(batch))
    tensor = ov.Tensor(kind, ov.Shape(batch.shape))
    np.copyto(tensor.data, batch, casting="same_kind")
    return tensor
