"""`cleftedge bench`: steady-state latency per stage against the budget (exit 1 when p99 is over it),
throughput, and the flags users of trtexec and benchmark_app reach for (-t, --hint, --nstreams,
--batch, --shapes, --warmup, --profile-layers)."""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import TYPE_CHECKING, Any

from cleftedge.cli import add_command

if TYPE_CHECKING:
    import numpy as np

    from cleftedge.runtime.backends.perf import RunLength
    from cleftedge.runtime.bench_plan import BenchPlan
    from cleftedge.runtime.model import Model

EXAMPLE = ("cleftedge bench --model model.xml --frames 600 --fps 30 --budget-ms 50\n"
           "  cleftedge bench --model model.xml -t 10 --hint throughput --nstreams 2 --profile-layers")
PROFILE_RUNS = 30  # inferences the per-layer profile sums over


def register(sub: Any) -> None:
    """Add `cleftedge bench` and its flags to the command parser."""
    from cleftedge.runtime.bench_plan import DEFAULT_FRAMES, HINTS, SHAPE_FORMS
    from cleftedge.runtime.model_flags import add_model_args

    p = add_command(sub, "bench", "latency per stage against the budget (exit 1 when p99 is over), and throughput",
                    EXAMPLE, _run)
    add_model_args(p)
    p.add_argument("--frames", type=int, help=f"frames to time after warm-up (default {DEFAULT_FRAMES}, "
                   "unless -t is given)")
    p.add_argument("-t", "--duration", type=float, metavar="SECONDS",
                   help="time for this many seconds instead of a frame count (trtexec --duration, benchmark_app -t)")
    p.add_argument("--warmup", type=int, default=20, metavar="N",
                   help="requests run before timing starts and left out of every figure: lazy allocation, "
                   "kernel choice, caches (default 20; a count, where trtexec's --warmup is milliseconds)")
    p.add_argument("--hint", choices=HINTS, default="latency",
                   help="latency (default): one frame at a time through the cart's path (preprocess, inference, "
                   "decision); throughput: inference alone with as many requests in flight as the backend runs "
                   "(OpenVINO PERFORMANCE_HINT THROUGHPUT with an async queue; onnxruntime one thread per stream)")
    p.add_argument("--nstreams", type=int, metavar="N",
                   help="streams for --hint throughput (OpenVINO NUM_STREAMS as benchmark_app -nstreams; "
                   "onnxruntime: requests in flight; default: the backend's choice)")
    p.add_argument("--batch", type=int, metavar="N", help="frames per request (default 1); refused where the "
                   "engine cannot take it in one call (a static-batch model, a TensorRT profile)")
    p.add_argument("--shapes", metavar="SHAPE", help=f"the input shape, {SHAPE_FORMS}; the spec fixes C, H, W, "
                   "so this sets the batch")
    p.add_argument("--profile-layers", type=int, nargs="?", const=10, metavar="N",
                   help="after the timed run, profile each layer with the engine's own profiler and show the N "
                   "slowest (default 10) with their share of the total")
    p.add_argument("--json", action="store_true")


def _frames(n: int = 24) -> list[np.ndarray]:
    """Real simulator frames (a sweep), cycled: what a cart would see, decoded already."""
    from cleftedge.simulator.sweep import iter_sweep

    return [f.image for f in iter_sweep(n / 30.0, "unilateral", seed=5)]


def _run(args: argparse.Namespace) -> int:
    from cleftedge.runtime.bench_plan import plan_from_args

    plan = plan_from_args(args)  # every flag checked before the model is loaded
    model = _open(args, plan)
    try:
        plan.check_shape(model.spec)
        model.backend.check_batch(plan.batch)
        images = _frames()
        batch = model.preprocessor.batch([images[k % len(images)] for k in range(plan.batch)])
        summary, text = (_throughput(model, plan, batch, args) if plan.throughput else
                         _latency(model, plan, images, args))
        info = model.describe()
        profile = model.backend.profile_layers(batch, PROFILE_RUNS) if plan.profile_top else None
    finally:
        model.close()
    summary.update({"backend": info.get("backend"), "device": info.get("device"),
                    "precision": info.get("precision")})
    if profile is not None:
        summary["profile_layers"] = {"source": profile.source, "runs": profile.runs, "batch": plan.batch,
                                     "ms_per_run": profile.total_ms / profile.runs, "layers": profile.rows()}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{info.get('backend')} on {info.get('device')} ({info.get('precision')}), hint {plan.hint}, "
              f"batch {plan.batch}, {summary['frames']} frames in {summary['seconds']:.2f} s")
        print(text)
        if profile is not None:
            print(_profile_table(summary["profile_layers"], plan.profile_top or 0))
    return 0 if summary["within_budget"] else 1


def _open(args: argparse.Namespace, plan: BenchPlan) -> Model:
    """The model with the backend options the plan needs (a bundle names its backend inside: opened
    once to learn it, then again with them)."""

    from cleftedge.runtime.backends import backend_class
    from cleftedge.runtime.model_flags import open_model
    from cleftedge.targets import target_for_path

    name = args.backend or target_for_path(args.model)
    if name is None:
        model = open_model(args)
        name = model.backend.name
        if not plan.options_for(backend_class(name).OPTIONS, name):
            return model
        model.close()
    return open_model(args, **plan.options_for(backend_class(name).OPTIONS, name))


def _length(plan: BenchPlan) -> RunLength:
    """How long to time: a duration (-t) or the requests that make --frames frames."""
    from cleftedge.runtime.backends.perf import RunLength

    if plan.frames is None:  # -t: a duration instead of a frame count
        return RunLength(seconds=plan.seconds)
    return RunLength(requests=math.ceil(plan.frames / plan.batch))


def _latency(model: Model, plan: BenchPlan, images: list[np.ndarray],
             args: argparse.Namespace) -> tuple[dict, str]:
    """The cart's path, one request after another: preprocess, inference, decision, per stage, timed
    by the very calls `run` makes (Model.score_frames, LatencyMetrics.record)."""
    from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
    from cleftedge.runtime.metrics import LatencyMetrics, Reservoir

    n = plan.batch
    policy = AlertPolicy(AlertConfig(), model.spec.output.threshold)
    metrics = LatencyMetrics(args.fps, args.budget_ms)
    engine = Reservoir()  # the library's own inference time, where it reports one

    def step(i: int, timed: bool) -> None:
        scored = model.score_frames([images[(i * n + k) % len(images)] for k in range(n)])
        for k, score in enumerate(scored.prediction.scores):
            policy.update(i * n + k, scored.clock.started, float(score))
        if timed:
            metrics.record(scored.clock, time.monotonic())

    for i in range(plan.warmup):
        step(i, timed=False)
    clock = _length(plan).check().clock()
    i = plan.warmup
    while clock.more():
        step(i, timed=True)
        i += 1
        if model.backend.last_engine_ms is not None:
            engine.add(model.backend.last_engine_ms)
    seconds = time.perf_counter() - clock.start
    requests = metrics.frames
    summary = {**metrics.summary(), "mode": "latency", "hint": "latency", "batch": n, "streams": 1,
               "requests": requests, "frames": requests * n, "warmup": plan.warmup, "seconds": seconds,
               "throughput_fps": requests * n / seconds if seconds > 0 else 0.0}
    lines = [metrics.table()]
    if engine.n:
        summary["inference_engine_clock"] = e = engine.summary()
        backend = model.backend.name
        lines.append(f"inference as {backend} itself times it (the figure its benchmark tool prints): "
                     f"p50 {e['p50']:.3f} ms, p99 {e['p99']:.3f} ms; the stage above adds the Python call around it")
    per = "" if n == 1 else f" (stages per request of {n} frames)"
    lines.append(f"throughput {summary['throughput_fps']:.1f} frames/s through the whole path{per}")
    return summary, "\n".join(lines)


def _throughput(model: Model, plan: BenchPlan, batch: np.ndarray, args: argparse.Namespace) -> tuple[dict, str]:
    """Inference alone, as many requests in flight as the backend runs (benchmark_app -hint throughput)."""
    from cleftedge.runtime.backends.perf import RunLength
    from cleftedge.runtime.metrics import Reservoir

    backend = model.backend
    if plan.warmup:
        backend.run_throughput(batch, RunLength(requests=plan.warmup))
    run = backend.run_throughput(batch, _length(plan))
    wall = Reservoir()
    for ms in run.wall_ms:
        wall.add(ms)
    w = wall.summary()
    within = bool(run.requests and w["p99"] <= args.budget_ms)
    summary = {"mode": "throughput", "hint": "throughput", "batch": run.batch, "streams": run.streams,
               "requests": run.requests, "frames": run.frames, "warmup": plan.warmup, "seconds": run.seconds,
               "throughput_fps": run.fps, "budget": {"fps": args.fps, "ms": args.budget_ms},
               "within_budget": within, "request_latency": w}
    lines = [f"throughput {run.fps:.1f} frames/s: {run.requests} requests of {run.batch} frame(s), "
             f"up to {run.streams} in flight",
             f"latency per request, wall clock of the call: p50 {w['p50']:.3f} ms, p99 {w['p99']:.3f} ms"]
    if run.engine_ms:
        engine = Reservoir()
        for ms in run.engine_ms:
            engine.add(ms)
        summary["inference_engine_clock"] = e = engine.summary()
        lines.append(f"latency per request as {backend.name} itself times it (the figure its benchmark tool "
                     f"prints): p50 {e['p50']:.3f} ms, p99 {e['p99']:.3f} ms")
    verdict = "within" if within else "OVER"
    lines.append(f"budget {args.budget_ms:g} ms per request: p99 {verdict} budget")
    return summary, "\n".join(lines)


def _profile_table(profile: dict, top: int) -> str:
    """The N slowest layers with their share of the total, and the rest in one line."""
    rows = profile["layers"]
    lines = [f"slowest layers ({profile['source']}, {profile['runs']} runs of batch {profile['batch']}; "
             f"{len(rows)} layers, {profile['ms_per_run']:.3f} ms per run in all):"]
    for r in rows[:top]:
        lines.append(f"  {r['share']:5.1f} %  {r['ms_per_run']:9.3f} ms  {r['name']} ({r['type']})")
    rest = rows[top:]
    if rest:
        lines.append(f"  {sum(r['share'] for r in rest):5.1f} %  in the other {len(rest)} layers")
    return "\n".join(lines)
