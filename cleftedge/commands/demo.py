"""`cleftedge demo`: the whole toolchain end to end on this machine (what `make demo` runs)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cleftedge.cli import add_command


def register(sub: argparse._SubParsersAction) -> None:
    """Add `cleftedge demo` to the CLI."""
    p = add_command(sub, "demo", "simulate, export, calibrate, build, QA, sign, verify and run, end to end",
                    "cleftedge demo --out demo-out --profile intel-cpu", _run)
    p.add_argument("--out", default="demo-out", help="folder for every artifact (default demo-out)")
    p.add_argument("--profile", default="intel-cpu", help="device profile (default intel-cpu, which runs here)")
    p.add_argument("--sweep-seconds", type=float, default=20.0, help="length of each sweep (default 20)")
    p.add_argument("--difficulty", choices=("standard", "clinical"), default="standard",
                   help="standard (make demo, fast) or clinical: clinical sets and sweeps, the clinical reference "
                   "model, QA sets sized for the gate (minutes, outside the 3-minute target)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON at the end")


def _run(args: argparse.Namespace) -> int:
    from cleftedge.tools.demo import run_demo

    summary = run_demo(Path(args.out), args.profile, args.sweep_seconds, args.difficulty)
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["ok"] else 1
