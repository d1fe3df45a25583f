"""Calibration time per recipe: 300 frames of a simulator set with the reference model, end to end
(open the set, stratified subset, decode + the runtime's preprocessing, the recipe, the TensorRT
Q/DQ check, spec + record written). Target: under 60 s per recipe on this machine's 2 cores.

    .venv/bin/python benchmarks/bench_calibrate.py model.onnx [--data DIR] [--frames 300]
        [--targets tensorrt openvino onnxruntime] [--method minmax]

`model.onnx` is the FP32 reference (`cleftedge export --reference --out model.onnx`). Without --data
a simulator set of `--frames` frames is written to a temporary folder first (not timed).
Prints one line per recipe: seconds, frames per second, and the ratio to the 60 s budget
(< 1 is inside it); exit 1 when a recipe is over budget.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 60.0
TARGETS = ("tensorrt", "openvino", "onnxruntime")
SUFFIX = {"tensorrt": ".qdq.onnx", "onnxruntime": ".u8s8.onnx", "openvino": ".int8.xml"}


def calibrate_once(model: Path, data: Path, target: str, frames: int, method: str | None, out_dir: Path) -> dict:
    from cleftedge.calibration.calibrate import CalibrateRequest, run_calibration

    out = out_dir / f"model{SUFFIX[target]}"
    req = CalibrateRequest(model, data, target, out, method=None if target == "openvino" else method,
                           subset_size=frames)
    t0 = time.perf_counter()
    summary = run_calibration(req)
    summary["wall_s"] = time.perf_counter() - t0
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path, help="the FP32 reference ONNX")
    ap.add_argument("--data", type=Path, help="calibration set (default: a fresh simulator set)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    ap.add_argument("--method", default="minmax", choices=("minmax", "entropy", "percentile"))
    args = ap.parse_args(argv)
    if not args.model.is_file():
        print(f"no model at {args.model}; make one with: cleftedge export --reference --out model.onnx")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-calib-") as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            from cleftedge.simulator.dataset import write_frames

            data = tmp / "calib"
            print(f"writing a simulator set of {args.frames} frames (not timed) ...", flush=True)
            write_frames(data, args.frames, seed=101)
        rows, over = [], False
        for target in args.targets:
            out_dir = tmp / target
            out_dir.mkdir()
            s = calibrate_once(args.model, data, target, args.frames, args.method, out_dir)
            ratio = s["wall_s"] / BUDGET_S
            over |= ratio > 1
            rows.append((target, s["method"], s["frames"], s["wall_s"], s["frames"] / s["wall_s"], ratio))
    print(f"\n{'recipe':<12} {'method':<8} {'frames':>6} {'seconds':>8} {'frames/s':>9} {'/ 60 s':>7}")
    for target, method, n, sec, fps, ratio in rows:
        print(f"{target:<12} {method:<8} {n:>6} {sec:>8.1f} {fps:>9.1f} {ratio:>7.2f}")
    print("all recipes inside the 60 s budget" if not over else "OVER the 60 s budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
