"""`cleftedge simulate frames|sweep`: synthetic labelled data sets and probe-sweep videos."""

from __future__ import annotations

import argparse
import json

from cleftedge.cli import Formatter, add_command

DIFFICULTIES = ("standard", "clinical")  # cleftedge.simulator.clinical.DIFFICULTIES, without importing cv2 here


def register(sub: argparse._SubParsersAction) -> None:
    """Add `simulate frames` and `simulate sweep`. Bad flags are cli.Parser's one line and exit 1: every
    subparser argparse makes here is of the root parser's class."""
    p = sub.add_parser("simulate", help="synthetic B-mode frames and probe sweeps with ground truth",
                       description="Synthetic B-mode frames of the fetal face (coronal nose-lip view) with "
                       "labels, and probe-sweep videos with per-frame ground truth. Not clinical data.",
                       epilog="examples:\n  cleftedge simulate frames --out data/qa --count 2000 --seed 7\n"
                       "  cleftedge simulate sweep --out sweep.mp4 --seconds 20 --cleft unilateral --seed 3",
                       formatter_class=Formatter)
    p.set_defaults(_parser=p)
    kinds = p.add_subparsers(dest="simulate_kind", metavar="KIND")
    f = add_command(kinds, "frames", "write a labelled data set: PNGs per class + manifest.csv + labels.json",
                    "cleftedge simulate frames --out data/calib --count 600 --seed 1", _frames)
    f.add_argument("--out", required=True, help="new output folder")
    f.add_argument("--count", type=int, required=True, help="number of frames")
    f.add_argument("--seed", type=int, default=0, help="random seed (sets with different seeds share no case)")
    f.add_argument("--frames-per-case", type=int, nargs=2, default=(4, 8), metavar=("MIN", "MAX"),
                   help="frames drawn from each simulated fetus (default 4 8)")
    f.add_argument("--off-plane-fraction", type=float, default=0.15,
                   help="share of frames where the lip is not in view (default 0.15)")
    f.add_argument("--difficulty", choices=DIFFICULTIES, default="standard",
                   help="standard (as before) or clinical: poor windows, look-alikes at the lip, artefacts, "
                   "subtle clefts, per-site processing (docs/simulator.md)")
    f.add_argument("--json", action="store_true", help="print a JSON summary")
    s = add_command(kinds, "sweep", "write a 30 fps probe-sweep video and its per-frame labels CSV",
                    "cleftedge simulate sweep --out sweep.mp4 --seconds 20 --cleft bilateral --seed 3", _sweep)
    s.add_argument("--out", required=True, help="video file (.mp4); labels go to <stem>.labels.csv beside it")
    s.add_argument("--seconds", type=float, required=True, help="duration")
    s.add_argument("--cleft", choices=("none", "unilateral", "bilateral"), default="none")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--severity", type=float, default=None,
                   help="cleft width from 0.05 (a notch) to 1 (obvious); random in 0.3..1 by default "
                   "(clinical: 0.05..1, 30 %% subtle)")
    s.add_argument("--fps", type=float, default=30.0)
    s.add_argument("--difficulty", choices=DIFFICULTIES, default="standard",
                   help="standard (as before) or clinical: look-alikes that stay 0.3-3 s and move, poor windows, "
                   "artefacts, clefts down to severity 0.05 (docs/simulator.md)")
    s.add_argument("--json", action="store_true", help="print a JSON summary")


def _frames(args: argparse.Namespace) -> int:
    import csv
    from collections import Counter

    from cleftedge.simulator.dataset import write_frames

    manifest = write_frames(args.out, args.count, args.seed, tuple(args.frames_per_case), args.off_plane_fraction,
                            difficulty=args.difficulty)
    with open(manifest) as fh:
        rows = list(csv.DictReader(fh))
    counts = Counter(r["label"] for r in rows)
    summary = {"manifest": str(manifest), "frames": len(rows), "cases": len({r["case_id"] for r in rows}),
               "labels": dict(sorted(counts.items()))}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"wrote {summary['frames']} frames from {summary['cases']} cases to {args.out}")
        for label, n in summary["labels"].items():
            print(f"  {label:<18} {n}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from cleftedge.errors import CleftEdgeError
    from cleftedge.simulator.sweep import write_sweep

    if args.severity is not None and not 0.05 <= args.severity <= 1.0:
        raise CleftEdgeError(f"--severity {args.severity}", "a value from 0.05 to 1", "e.g. --severity 0.5")
    video, labels = write_sweep(args.out, args.seconds, args.cleft, args.seed, args.fps, args.severity,
                                difficulty=args.difficulty)
    if args.json:
        print(json.dumps({"video": str(video), "labels": str(labels)}))
    else:
        print(f"wrote {video} and {labels}")
    return 0
