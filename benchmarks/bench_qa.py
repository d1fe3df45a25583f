"""QA throughput: frames/s including decoding, peak memory, and the projection to the clinical
study's 45,139 frames (target: under 3 minutes on this machine, memory flat in the set's size).

    .venv/bin/python benchmarks/bench_qa.py --reference model.onnx --candidate model.int8.xml --data data/qa

Each measurement runs in a fresh child process (so that ru_maxrss is its own peak): the QA scoring
stream (decode, preprocess, reference FP32 on onnxruntime, candidate on OpenVINO CPU) over the first
N frames, for a small and a large N; flat memory means the large run's peak is not materially above
the small run's. The statistics (bootstrap of every figure, per-site/label/case tables) are timed on
45,139 synthetic score rows, since their cost depends on the number of frames, not on the images.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

STUDY_FRAMES = 45_139
TARGET_S = 180.0


def worker(args) -> None:
    from cleftedge.calibration.datasets import open_dataset
    from cleftedge.calibration.qa.candidate import plan_candidate
    from cleftedge.calibration.qa.reading import iter_samples
    from cleftedge.calibration.qa.run import open_qa_models
    from cleftedge.calibration.qa.scorer import score_stream

    # as `cleftedge qa` opens them; the cart flow has saved reference scores and runs no reference
    ref, cand, _ = open_qa_models(args.reference if args.mode == "full" else None, args.candidate,
                                  plan_candidate(args.candidate, args.backend))
    samples = itertools.islice(iter_samples(open_dataset(args.data)), args.frames)
    first = list(itertools.islice(samples, 32))  # the first batch pays one-off costs (arenas, kernels)
    score_stream(first, ref, cand, progress=False)
    start = time.perf_counter()
    got, _ = score_stream(samples, ref, cand, progress=False)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": len(got.keys), "seconds": seconds, "peak_mb": peak_mb}))


def _child(args, mode: str, frames: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--mode", mode, "--frames", str(frames), "--reference",
           str(args.reference), "--candidate", str(args.candidate), "--data", str(args.data)]
    if args.backend:
        cmd += ["--backend", args.backend]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"worker failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def stats_seconds(n: int = STUDY_FRAMES) -> float:
    """Every figure of the report, on n rows shaped like the study (cases of ~5 frames, 22 sites)."""
    import numpy as np

    from cleftedge.calibration.qa.assemble import figures_section
    from cleftedge.calibration.qa.compare import ScoredSet
    from cleftedge.calibration.qa.policy import Policy

    rng = np.random.default_rng(0)
    labels = rng.choice(["normal", "unilateral_left", "unilateral_right", "bilateral", "off_plane"], n)
    pos = np.isin(labels, ["unilateral_left", "unilateral_right", "bilateral"])
    ref = np.clip(rng.normal(0.3 + 0.4 * pos, 0.2), 0, 1)
    cand = np.clip(ref + rng.normal(0, 0.01, n), 0, 1)
    data = ScoredSet([f"f{i}" for i in range(n)], labels.tolist(), pos, [f"c{i // 5}" for i in range(n)],
                     [f"site{i % 22}" for i in range(n)], np.where(pos, rng.uniform(0.05, 1, n), 0), ref, cand)
    from cleftedge.calibration.qa.near_duplicates import merge

    start = time.perf_counter()
    hashes = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)  # distinct frames: few collisions
    data.clusters, _ = merge(data.keys, data.case_ids, hashes)  # near-duplicate chains, as run_qa does
    figures_section(data, 0.5, 0.5, Policy())
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", type=Path, required=True, help="FP32 ONNX reference")
    ap.add_argument("--candidate", type=Path, required=True, help="INT8 candidate (OpenVINO .xml)")
    ap.add_argument("--data", type=Path, required=True, help="a data set with at least --large frames")
    ap.add_argument("--backend", help="candidate backend (default: from the file)")
    ap.add_argument("--small", type=int, default=200, help="frames in the small run")
    ap.add_argument("--large", type=int, default=1000, help="frames in the large run")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    ap.add_argument("--frames", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    stats_s = stats_seconds()
    print(f"statistics for {STUDY_FRAMES} frames (2000 resamples, sites, labels, cases): {stats_s:.1f} s")
    for mode, what in (("full", "reference FP32 (onnxruntime) + candidate"), ("cart", "candidate only "
                                                                             "(saved reference scores)")):
        small, large = _child(args, mode, args.small), _child(args, mode, args.large)
        fps = large["frames"] / large["seconds"]
        projected = STUDY_FRAMES / fps + stats_s
        growth = large["peak_mb"] - small["peak_mb"]
        print(f"\n{mode}: {what}")
        print(f"  throughput incl. decoding: {fps:.1f} frames/s over {large['frames']} frames")
        print(f"  peak RSS: {small['peak_mb']:.0f} MB after {small['frames']} frames, {large['peak_mb']:.0f} MB "
              f"after {large['frames']} frames (growth {growth:+.0f} MB for {large['frames'] / small['frames']:.1f}x "
              "the frames)")
        print(f"  projected to {STUDY_FRAMES} frames: {projected:.0f} s (target {TARGET_S:.0f} s, ratio "
              f"{projected / TARGET_S:.2f}) -> {'OK' if projected < TARGET_S else 'OVER'}")


if __name__ == "__main__":
    main()
