"""The runtime's own costs (issue 3, "Performance"): figures and ratios, not tests.

1. overhead per frame that is not inference: preprocess, decide (frozen check + alert policy),
   events (one score event as a JSON line): target < 1 ms together;
2. a 30 fps file played in real time (--realtime) through the whole pipeline: dropped frames
   (target 0) and end-to-end latency against the budget;
3. resident memory over a long synthetic stream (default 10 minutes of frames at 30 fps, played as
   fast as possible): growth after the first minute, target flat.

    .venv/bin/python benchmarks/bench_runtime.py                  # reference model, ONNX Runtime
    .venv/bin/python benchmarks/bench_runtime.py --minutes 2      # quicker memory check
    .venv/bin/python benchmarks/bench_runtime.py --model model.xml --backend openvino
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cleftedge.runtime import event_types
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
from cleftedge.runtime.events import JsonlSink, Sink, Sinks
from cleftedge.runtime.frozen import FrozenDetector
from cleftedge.runtime.model import Model
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.sources.base import Source
from cleftedge.runtime.stream import Pipeline
from cleftedge.simulator.sweep import iter_sweep, write_sweep

CACHE = Path.home() / ".cache" / "cleftedge" / "bench-runtime"


def reference_model() -> Path:
    path = CACHE / "reference.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "cleftedge", "export", "--reference", "--out", str(path)], check=True)
    return path


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def overhead(model: Model, frames: list[np.ndarray], n: int) -> dict:
    policy = AlertPolicy(AlertConfig(), model.spec.output.threshold)
    frozen = FrozenDetector()
    with tempfile.TemporaryDirectory() as tmp:
        sink = JsonlSink(os.path.join(tmp, "ev.jsonl"))
        pre, dec, ev = [], [], []
        for i in range(n):
            img = frames[i % len(frames)]
            scored = model.score_frame(img)  # the runtime's own frame path, with its stage clock
            score = scored.score
            t2 = time.perf_counter()
            policy.update(i, t2, score, frozen.update(img))
            t3 = time.perf_counter()
            sink.emit({"type": event_types.SCORE, "t": time.time(), "session": "bench", "frame": i,
                       "t_capture": scored.clock.started, "score": round(score, 5), "flagged": policy.flag(score),
                       "frozen": False})
            t4 = time.perf_counter()
            pre.append(scored.clock.preprocessed - scored.clock.started)
            dec.append(t3 - t2)
            ev.append(t4 - t3)
        sink.close()
    med = {k: float(np.median(v)) * 1e3 for k, v in (("preprocess", pre), ("decide", dec), ("events", ev))}
    med["total"] = sum(med.values())
    return med


class CycledFrames(Source):
    """A long synthetic stream: pre-rendered sweep frames played in a loop, as fast as possible."""

    def __init__(self, frames: list[np.ndarray], count: int):
        super().__init__("cycled://sweep")
        self.fps = 30.0
        self.frames, self.count, self._n = frames, count, 0
        self.rss: list[tuple[int, float]] = []

    def _next(self):
        if self._n >= self.count:
            return None
        if self._n % 900 == 0:
            self.rss.append((self._n, rss_mib()))
        img = self.frames[self._n % len(self.frames)]
        self._n += 1
        return img, None, None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="default: the reference model with its heat map")
    ap.add_argument("--backend")
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--frames", type=int, default=600, help="frames for the overhead figure")
    ap.add_argument("--realtime-seconds", type=float, default=20.0)
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the memory run (at 30 fps)")
    ap.add_argument("--memory-sweep", default="unilateral", choices=("unilateral", "none"),
                    help="what the memory run loops: a cleft sweep (many alerts) or normal scanning")
    args = ap.parse_args(argv)
    path = args.model or reference_model()
    model = Model.open(path, backend=args.backend, device=args.device, steady=True)
    model.warmup(5)
    frames = [f.image for f in iter_sweep(8, "unilateral", 7)]
    info = model.describe()
    print(f"model {path.name} on {info.get('backend')} {info.get('device')} ({info.get('precision')})")

    o = overhead(model, frames, args.frames)
    print(f"1. runtime overhead per frame (median of {args.frames}): preprocess {o['preprocess']:.3f} ms, "
          f"decide {o['decide']:.3f} ms, events {o['events']:.3f} ms; total {o['total']:.3f} ms "
          f"= {o['total'] / 1.0:.2f} x the 1 ms target")

    with tempfile.TemporaryDirectory() as tmp:
        video, _ = write_sweep(Path(tmp) / "sweep.mp4", args.realtime_seconds, "unilateral", 17, progress=False)
        source = open_source(str(video), realtime=True)
        s = Pipeline(model, source, Sinks([Sink()]), fps=30, budget_ms=50).run().summary
    e2e = s["stages"]["end_to_end"]
    print(f"2. 30 fps file in real time, {args.realtime_seconds:g} s: {s['frames']} frames processed, "
          f"{s['dropped']} dropped ({s['dropped'] / max(1, s['frames'] + s['dropped']):.1%}); end to end p50 "
          f"{e2e['p50']:.1f} ms, p99 {e2e['p99']:.1f} ms, {s['overruns']} over the 50 ms budget")

    count = int(args.minutes * 60 * 30)
    long = CycledFrames(frames, count)
    t0 = time.monotonic()
    if args.memory_sweep != "unilateral":
        long.frames = [f.image for f in iter_sweep(8, args.memory_sweep, 7)]
    session = Pipeline(model, long, Sinks([Sink()]), fps=30, budget_ms=50).run()
    s = session.summary
    long.rss.append((count, rss_mib()))
    kept = sum(len(f.jpeg) + (0 if f.heatmap is None else f.heatmap.nbytes) for f in session.best.frames())
    after_1min = next((r for n, r in long.rss if n >= 1800), long.rss[0][1])
    end = long.rss[-1][1]
    print(f"3. resident memory over {args.minutes:g} min of frames ({s['frames']} frames in "
          f"{time.monotonic() - t0:.0f} s): {long.rss[0][1]:.1f} MiB at start, {after_1min:.1f} MiB after 1 min, "
          f"{end:.1f} MiB at the end: growth after the first minute {end - after_1min:+.1f} MiB "
          f"({(end - after_1min) / after_1min:+.1%}); {args.memory_sweep} sweep looped, {len(s['alerts'])} alerts, "
          f"best frames kept for the review {kept / 2**20:.1f} MiB (bounded: 3 per alert, 64 alerts)")
    model.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
