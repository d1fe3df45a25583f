"""Every benchmark in one run (`make bench`): figures and ratios, never pass/fail tests of speed.

    .venv/bin/python benchmarks/run_all.py             # quick sizes (minutes), reference model
    .venv/bin/python benchmarks/run_all.py --full      # the sizes the docs report (an hour or more)
    .venv/bin/python benchmarks/run_all.py --only bench_qa bench_runtime

It prepares what the benchmarks share once, as a user would (`cleftedge export --reference`,
`cleftedge simulate frames`, `cleftedge calibrate --target openvino`), in --workdir, then runs each
benchmark in its own process and prints a summary: its exit code and how long it ran. Each
benchmark prints its own figures; the docs quote the --full runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    """One benchmark: its script and its arguments at quick and at full size ({work} is --workdir)."""

    script: str
    quick: tuple[str, ...]
    full: tuple[str, ...]


# One row per benchmark; tests/test_benchmarks.py checks that every benchmarks/*.py script has a row.
BENCHES = (
    Bench("bench_calibrate.py", ("--frames", "100"), ()),
    Bench("bench_runtime.py", ("--minutes", "1", "--realtime-seconds", "5"), ()),
    Bench("bench_sources.py", ("--frames", "60"), ()),
    Bench("bench_inference.py", ("{work}/model.int8.xml", "--pairs", "2", "--seconds", "2"),
          ("{work}/model.int8.xml", "--pairs", "12", "--seconds", "3")),
    Bench("bench_qa.py", ("--reference", "{work}/model.onnx", "--candidate", "{work}/model.int8.xml",
                          "--data", "{work}/qa", "--small", "300", "--large", "1200"),
          ("--reference", "{work}/model.onnx", "--candidate", "{work}/model.int8.xml",
           "--data", "{work}/qa", "--small", "1500", "--large", "6000", "--rerun")),
    Bench("alert_quality.py", ("--normal-minutes", "2", "--cleft-sweeps", "3", "--val-normal-minutes", "1",
                               "--val-cleft-sweeps", "3", "--candidate", "openvino={work}/model.int8.xml"),
          ("--candidate", "openvino={work}/model.int8.xml")),
    Bench("bench_byo.py", ("--recipes", "openvino", "--repeats", "3"), ()),
)
# Run only when named with --only: they take half an hour or more whatever the size.
ON_REQUEST = ("bench_soak.py",)


def cli(*args: str) -> None:
    """Run one cleftedge command as a user types it; stop the whole run if it fails."""
    cmd = [sys.executable, "-m", "cleftedge", *args]
    print("$ cleftedge", " ".join(args), flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"run_all: preparing failed: {' '.join(args)}\n{done.stdout}{done.stderr}")


def prepare(work: Path, qa_frames: int) -> None:
    """The reference model, its OpenVINO INT8 candidate and a QA set, made once per workdir."""
    if not (work / "model.onnx").exists():
        cli("export", "--reference", "--out", str(work / "model.onnx"))
    if not (work / "calib").exists():
        cli("simulate", "frames", "--out", str(work / "calib"), "--count", "300", "--seed", "11")
    if not (work / "model.int8.xml").exists():
        cli("calibrate", "--model", str(work / "model.onnx"), "--data", str(work / "calib"),
            "--target", "openvino", "--out", str(work / "model.int8.xml"))
    marker = work / "qa" / f".frames-{qa_frames}"
    if not marker.exists():
        cli("simulate", "frames", "--out", str(work / "qa"), "--count", str(qa_frames), "--seed", "77")
        marker.touch()


def main(argv: list[str] | None = None) -> int:
    """Prepare, run every benchmark (or those named), print the summary; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the sizes the docs report")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these (name or name.py)")
    parser.add_argument("--workdir", type=Path, help="keep the shared models and sets here")
    args = parser.parse_args(argv)

    known = {b.script: b for b in BENCHES}
    wanted = list(known)
    if args.only:
        wanted = [name if name.endswith(".py") else name + ".py" for name in args.only]
        unknown = [w for w in wanted if w not in known and w not in ON_REQUEST]
        if unknown:
            parser.error(f"unknown benchmark {unknown[0]}; expected one of {', '.join([*known, *ON_REQUEST])}")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cleftedge-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    prepare(work, 6000 if args.full else 1200)

    results = []
    for script in wanted:
        bench = known.get(script)
        # an empty full row means the script's own defaults are the documented sizes
        extra = () if bench is None else (bench.full if args.full else bench.quick)
        cmd = [sys.executable, str(HERE / script), *(a.format(work=work) for a in extra)]
        print(f"\n=== {script} {' '.join(cmd[2:])}", flush=True)
        start = time.monotonic()
        code = subprocess.run(cmd).returncode
        results.append((script, code, time.monotonic() - start))

    print("\n=== summary (each benchmark's figures are above it)")
    for script, code, seconds in results:
        print(f"{script:22s} {'ok' if code == 0 else f'exit {code}':8s} {seconds:7.1f} s")
    return 1 if any(code for _, code, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
