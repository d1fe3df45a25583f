"""Calibration time per recipe: 300 frames with the reference model (target: under 60 s each).

    .venv/bin/python benchmarks/bench_calibrate.py [--data DIR] [--frames 300] [--workdir DIR]

Without --data it simulates a 400-frame set (`cleftedge simulate frames`) and exports the reference
model (`cleftedge export --reference`) into a temporary folder. Each recipe runs as the command a
user types (`cleftedge calibrate ... --json`) in a fresh process, so the figure is the whole job:
start-up and imports, opening the set and its content hash, decoding and preprocessing the subset,
the recipe itself, the TensorRT Q/DQ check, and writing the model and its record. Exit 1 when any
recipe takes 60 s or more.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0
RECIPES = (("tensorrt", ".onnx"), ("onnxruntime", ".onnx"), ("openvino", ".xml"))


def cli(*args) -> str:
    cmd = [sys.executable, "-m", "cleftedge", *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return out.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="calibration set (default: simulate 400 frames)")
    ap.add_argument("--model", type=Path, help="FP32 ONNX (default: the reference model)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        model = args.model or work / "model.onnx"
        if not model.is_file():
            cli("export", "--reference", "--out", model)
        data = args.data or work / "calib"
        if not data.exists():
            cli("simulate", "frames", "--out", data, "--count", max(400, args.frames), "--seed", 4242)
        rows = []
        for target, suffix in RECIPES:
            start = time.perf_counter()
            summary = json.loads(cli("calibrate", "--model", model, "--data", data, "--target", target,
                                     "--subset-size", args.frames, "--out", work / f"model.{target}{suffix}",
                                     "--json"))
            rows.append((target, summary["frames"], time.perf_counter() - start, summary["seconds"]))
    print(f"{'recipe':<12} {'frames':>6} {'wall s':>7} {'in-process s':>12}  (target < {TARGET_S:.0f} s)")
    for target, frames, wall, inner in rows:
        print(f"{target:<12} {frames:>6} {wall:>7.1f} {inner:>12.1f}  {'ok' if wall < TARGET_S else 'TOO SLOW'}")
    return 0 if all(wall < TARGET_S for _, _, wall, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
