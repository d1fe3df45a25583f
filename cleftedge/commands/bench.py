"""`cleftedge bench`: steady-state latency per stage against the budget; exit 1 when p99 is over it."""

from __future__ import annotations

import json
import time

from cleftedge.cli import add_command

EXAMPLE = "cleftedge bench --model model.xml --frames 600 --fps 30 --budget-ms 50"


def register(sub) -> None:
    from cleftedge.commands.run import add_model_args

    p = add_command(sub, "bench", "steady-state latency per stage against the budget (exit 1 when p99 is over)",
                    EXAMPLE, _run)
    add_model_args(p)
    p.add_argument("--frames", type=int, default=300, help="frames to time after warm-up (default 300)")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--json", action="store_true")


def _frames(n: int = 24):
    """Real simulator frames (a sweep), cycled: what a cart would see, decoded already."""
    from cleftedge.simulator.sweep import iter_sweep

    return [f.image for f in iter_sweep(n / 30.0, "unilateral", seed=5)]


def _run(args) -> int:
    from cleftedge.commands.run import open_model
    from cleftedge.errors import CleftEdgeError
    from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
    from cleftedge.runtime.metrics import LatencyMetrics, Reservoir

    if args.frames < 1:
        raise CleftEdgeError(f"--frames {args.frames}", "a positive number", "e.g. --frames 300")
    model = open_model(args)
    frames = _frames()
    policy = AlertPolicy(AlertConfig(), model.spec.output.threshold)
    metrics = LatencyMetrics(args.fps, args.budget_ms)
    engine = Reservoir()  # the library's own inference time, where it reports one
    try:
        for i in range(args.warmup + args.frames):
            t0 = time.monotonic()
            x = model.preprocessor(frames[i % len(frames)])
            t1 = time.monotonic()
            pred = model.predict_tensors(x[None])
            t2 = time.monotonic()
            policy.update(i, t0, float(pred.scores[0]))
            t3 = time.monotonic()
            if i >= args.warmup:
                metrics.add(None, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3)
                if model.backend.last_engine_ms is not None:
                    engine.add(model.backend.last_engine_ms)
        info = model.describe()
    finally:
        model.close()
    summary = {**metrics.summary(), "backend": info.get("backend"), "device": info.get("device"),
               "precision": info.get("precision")}
    if engine.n:
        summary["inference_engine_clock"] = engine.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{info.get('backend')} on {info.get('device')} ({info.get('precision')}), {args.frames} frames")
        print(metrics.table())
        if engine.n:
            e = engine.summary()
            print(f"inference as {info.get('backend')} itself times it (the figure its benchmark tool prints): "
                  f"p50 {e['p50']:.3f} ms, p99 {e['p99']:.3f} ms; the stage above adds the Python call around it")
    return 0 if summary["within_budget"] else 1
