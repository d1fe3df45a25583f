"""QA throughput: frames/s including decoding, peak memory, and the projection to the clinical
study's 45,139 frames (target: under 3 minutes on this machine, memory flat in the set's size).

    .venv/bin/python benchmarks/bench_qa.py --reference model.onnx --candidate model.int8.xml --data data/qa
    .venv/bin/python benchmarks/bench_qa.py ... --rerun   # first run and re-run (tensor cache, signed scores)

--rerun measures what a fleet's re-runs cost: the CPU of each stage a frame (one thread each, in
this process), the machine's limit (stage costs divided by the cores; the statistics run on one),
and `cleftedge qa` itself, end to end in child processes on two sizes of the set (a line through
both gives the fixed cost and the cost a frame, projected to 45,139 frames): a first run (plain, and
writing --cache), and a re-run of the candidate with the cache and signed reference scores (goal:
at most 30 s), with the share of the limit achieved and the peak RSS of each.

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
import os
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
    from cleftedge.calibration.qa.models import open_qa_models
    from cleftedge.calibration.qa.reading import iter_samples
    from cleftedge.calibration.qa.scorer import ScoreOptions, score_stream

    # as `cleftedge qa` opens them; the cart flow has saved reference scores and runs no reference
    ref, cand, _ = open_qa_models(args.reference if args.mode == "full" else None, args.candidate,
                                  plan_candidate(args.candidate, args.backend))
    samples = itertools.islice(iter_samples(open_dataset(args.data)), args.frames)
    first = list(itertools.islice(samples, 32))  # the first batch pays one-off costs (arenas, kernels)
    score_stream(first, ref, cand, options=ScoreOptions(progress=False))
    start = time.perf_counter()
    got, _ = score_stream(samples, ref, cand, options=ScoreOptions(progress=False))
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


RERUN_TARGET_S = 30.0


def _cpu_ms(fn, items) -> float:
    start = time.process_time()
    for item in items:
        fn(item)
    return (time.process_time() - start) * 1000.0


def stage_costs(reference: Path, candidate: Path, data: Path, frames: int = 256) -> dict[str, float]:
    """ms of CPU a frame for each stage, on the first `frames` frames, one thread each."""
    import tempfile

    import cv2

    from cleftedge.calibration.datasets import open_dataset
    from cleftedge.calibration.qa import tensor_cache
    from cleftedge.calibration.qa.candidate import plan_candidate
    from cleftedge.calibration.qa.models import open_qa_models
    from cleftedge.calibration.qa.phash import tensor_hashes
    from cleftedge.hashing import sha256_file
    from cleftedge.runtime.image_reader import read_image
    from cleftedge.runtime.preprocess import Preprocessor

    cv2.setNumThreads(1)
    records = open_dataset(data).records[:frames]
    ref, cand, _ = open_qa_models(reference, candidate, plan_candidate(candidate, None), threads=1)
    out = {"content hash (file SHA-256)": _cpu_ms(lambda r: sha256_file(r.file), records) / len(records)}
    images = [read_image(r.file) for r in records[:32]]  # warm the reader's caches
    start = time.process_time()
    images = [read_image(r.file) for r in records]
    out["PNG decode"] = (time.process_time() - start) * 1000.0 / len(records)
    pre = Preprocessor(ref.spec.input)
    start = time.process_time()
    tensors = pre.batch(images)
    out["preprocess"] = (time.process_time() - start) * 1000.0 / len(records)
    batches = [tensors[i:i + 32] for i in range(0, len(tensors), 32)]
    out["perceptual hash"] = _cpu_ms(tensor_hashes, batches) / len(records)
    for name, model in (("reference FP32 (onnxruntime)", ref), ("candidate", cand)):
        model.predict_tensors(batches[0])  # one-off costs
        out[name] = _cpu_ms(model.predict_tensors, batches) / len(records)
    with tempfile.TemporaryDirectory() as tmp:
        keys = [r.key for r in records]
        writer = tensor_cache.CacheWriter(Path(tmp) / "c", "0" * 64, keys, ref.spec.input)
        for i, b in enumerate(batches):
            writer.on_batch(records[i * 32:i * 32 + len(b)], [b], tensor_hashes(b))
        start = time.process_time()
        writer.commit()
        out["tensor cache write"] = (time.process_time() - start) * 1000.0 / len(records)
        reader = tensor_cache.open_cache(Path(tmp) / "c", "0" * 64, keys, ref.spec.input)
        start = time.process_time()
        n = sum(len(chunk) for chunk, _, _ in reader.batches(records, 32))
        out["tensor cache read (SHA-256 checked)"] = (time.process_time() - start) * 1000.0 / n
    return out


def _qa_child(argv: list[str]) -> dict:
    """`cleftedge qa ...` in a child: wall seconds, CPU seconds and peak RSS (its own, from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cleftedge", "qa", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1) or "error:" in err:
        sys.exit(f"qa failed ({rc}): {err[-1500:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024, "rc": rc}


def _subset(data: Path, frames: int) -> Path:
    """A manifest of the set's first `frames` rows, beside the set's own (the same files)."""
    import csv

    with open(data / "manifest.csv", newline="") as f:
        rows = list(csv.reader(f))
    path = data / f".bench-{frames}.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows[:frames + 1])
    return path


def _sign(work: Path, scores: Path) -> Path:
    from cleftedge.cli import main as cli

    keys, trust = work / "keys", work / "trust"
    if not trust.is_dir():
        assert cli(["keys", "generate", "--out", str(keys), "--name", "bench-scores", "--role", "scores"]) == 0
        trust.mkdir()
        (trust / "bench-scores.pub.pem").write_bytes((keys / "bench-scores.pub.pem").read_bytes())
    assert cli(["scores", "sign", str(scores), "--key", str(keys / "bench-scores.key.pem")]) == 0
    return trust


def rerun_figures(args) -> None:
    import shutil
    import tempfile

    cores = os.cpu_count() or 1
    costs = stage_costs(args.reference, args.candidate, args.data)
    cpu = time.process_time()
    stats_s = stats_seconds()
    stats_cpu = time.process_time() - cpu
    print(f"statistics for {STUDY_FRAMES} frames: {stats_s:.1f} s wall, {stats_cpu:.1f} s CPU (counted on one core)")
    stats_s = stats_cpu  # the limit counts CPU: on a loaded machine the wall clock waits for other jobs
    first_stages = ("content hash (file SHA-256)", "PNG decode", "preprocess", "perceptual hash",
                    "reference FP32 (onnxruntime)", "candidate")
    rerun_stages = ("content hash (file SHA-256)", "tensor cache read (SHA-256 checked)", "candidate")
    print(f"CPU a frame, one thread each, {cores} cores (loaded machine: other jobs share them):")
    for name, ms in costs.items():
        print(f"  {name:<38} {ms:6.3f} ms")
    limits = {}
    for flow, stages in (("first run", first_stages), ("re-run", rerun_stages)):
        per_frame = sum(costs[s] for s in stages) / 1000.0
        limits[flow] = (per_frame, STUDY_FRAMES * per_frame / cores + stats_s)
        print(f"  limit, {flow}: {sum(costs[s] for s in stages):.2f} ms a frame / {cores} cores + statistics "
              f"{stats_s:.1f} s = {limits[flow][1]:.0f} s for {STUDY_FRAMES} frames")
    work = Path(tempfile.mkdtemp(prefix="bench-qa-"))
    try:
        runs = {}
        for frames in (args.small, args.large):
            data = _subset(args.data, frames)
            base = ["--reference", str(args.reference), "--data", str(data), "--ledger", str(work / "ledger")]
            cache, scores = work / f"cache-{frames}", work / f"scores-{frames}.json"
            runs[frames] = {
                "plain": _qa_child([*base, "--candidate", str(args.candidate), "--report", str(work / "r0")]),
                "first, writing --cache": _qa_child([*base, "--candidate", str(args.candidate), "--report",
                                                     str(work / "r1"), "--cache", str(cache)]),
            }
            _qa_child([*base, "--save-reference-scores", str(scores), "--cache", str(cache)])
            trust = _sign(work, scores)
            runs[frames]["re-run: cache + signed scores"] = _qa_child(
                [*base, "--candidate", str(args.candidate), "--report", str(work / "r2"), "--cache", str(cache),
                 "--reference-scores", str(scores), "--trust-store", str(trust)])
        small, large = runs[args.small], runs[args.large]
        print(f"\ncleftedge qa end to end, {args.small} and {args.large} frames, projected to {STUDY_FRAMES} "
              "(fixed cost + cost a frame, from the two sizes):")
        for flow in large:
            a, b = small[flow], large[flow]
            per = (b["wall"] - a["wall"]) / (args.large - args.small)
            fixed = max(0.0, a["wall"] - per * args.small)
            projected = fixed + per * STUDY_FRAMES
            limit = limits["re-run" if flow.startswith("re-run") else "first run"]
            share = (limit[0] / cores) / per if per > 0 else float("nan")
            goal = RERUN_TARGET_S if flow.startswith("re-run") else TARGET_S
            print(f"  {flow:<31} {a['wall']:6.1f} s / {b['wall']:6.1f} s -> {per * 1000:.2f} ms a frame + "
                  f"{fixed:.1f} s: {projected:5.0f} s (goal {goal:.0f} s: {'met' if projected <= goal else 'OVER'}); "
                  f"achieved {share * 100:.0f} % of the machine's limit; CPU {b['cpu'] / b['wall'] / cores * 100:.0f} "
                  f"% busy; peak RSS {a['peak_mb']:.0f} / {b['peak_mb']:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for p in args.data.glob(".bench-*.csv"):
            p.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", type=Path, required=True, help="FP32 ONNX reference")
    ap.add_argument("--candidate", type=Path, required=True, help="INT8 candidate (OpenVINO .xml)")
    ap.add_argument("--data", type=Path, required=True, help="a data set with at least --large frames")
    ap.add_argument("--backend", help="candidate backend (default: from the file)")
    ap.add_argument("--small", type=int, default=200, help="frames in the small run")
    ap.add_argument("--large", type=int, default=1000, help="frames in the large run")
    ap.add_argument("--rerun", action="store_true", help="first run and re-run with --cache and signed scores")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    ap.add_argument("--frames", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if args.rerun:
        rerun_figures(args)
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
