"""`cleftedge tune-alerts`: choose the alert policy on the user's own labelled sweeps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError
from cleftedge.targets import names

EXAMPLE = """cleftedge tune-alerts --model model.onnx --sweeps sweeps/tune --out alerts.toml --judged-on sweeps/qa
  (sweeps: videos with <stem>.labels.csv beside them, columns frame,in_plane,cleft, as qa --sweeps reads;
   then: cleftedge run --model model.onnx --alerts alerts.toml ...)"""


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(","))


def register(sub) -> None:
    """Add `cleftedge tune-alerts` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "tune-alerts", "choose the alert policy (k of n, clear, cooldown, hysteresis) on labelled "
                    "sweeps by an explicit rule; write it with its alarm delay and plot the operating curve",
                    EXAMPLE, _run)
    p.add_argument("--model", required=True, help="the model the policy is for (ONNX, OpenVINO IR, bundle)")
    p.add_argument("--sweeps", required=True, type=Path, help="labelled sweeps to tune on (video + <stem>.labels.csv)")
    p.add_argument("--out", required=True, type=Path, help="the policy TOML to write (what run --alerts reads)")
    p.add_argument("--report", type=Path, help="the operating-curve HTML (default: beside --out, .html)")
    p.add_argument("--judged-on", type=Path, action="append", default=[], metavar="DIR",
                   help="sweeps the policy will be judged on: refused if any tuning sweep is one of them "
                   "(by content, not name; repeatable)")
    p.add_argument("--max-false-per-hour", type=float, default=1.0,
                   help="rule: at most this many false alerts per hour of normal scanning (default 1)")
    p.add_argument("--min-alerted", type=float, default=95.0,
                   help="rule: at least this %% of in-plane cleft passes alerted (default 95)")
    p.add_argument("--min-pass-s", type=float, default=1.0,
                   help="passes shorter than this (seconds) are reported but not counted (default 1)")
    p.add_argument("--tolerance-s", type=float, default=0.1,
                   help="rule: median delays this close to the fastest count as equally fast; of those the policy "
                   "needing the most flagged frames wins (default 0.1 s)")
    grid = p.add_argument_group("the grid (comma-separated values)")
    grid.add_argument("--grid-k", type=_ints, default=(1, 2, 3, 4, 5, 6, 8))
    grid.add_argument("--grid-n", type=_ints, default=(1, 2, 4, 6, 8, 10, 12))
    grid.add_argument("--grid-clear-k", type=_ints, default=(0, 1, 2))
    grid.add_argument("--grid-cooldown", type=_ints, default=(0, 15, 30, 60), help="cooldown frames")
    grid.add_argument("--grid-clear-fraction", type=_floats, default=(1.0, 0.7, 0.4),
                      help="hysteresis clear threshold as a fraction of the flag threshold")
    p.add_argument("--backend", choices=names(), help="default: from the model")
    p.add_argument("--device", default="CPU")
    p.add_argument("--spec", help="spec TOML for a bare TensorRT plan")
    p.add_argument("--trust-store", help="trusted public keys for bundles")
    p.add_argument("--allow-unsigned", action="store_true", help="accept an unsigned bundle (development only)")
    p.add_argument("--json", action="store_true", help="print the choice and the curve as JSON")


def _check_args(args) -> None:
    if args.out.suffix.lower() != ".toml":
        raise CleftEdgeError(f"--out {args.out}", "a .toml file name", "e.g. --out alerts.toml")
    if not 0 < args.min_alerted <= 100:
        raise CleftEdgeError(f"--min-alerted {args.min_alerted}", "a percentage above 0, at most 100",
                             "e.g. --min-alerted 95")
    if not args.max_false_per_hour >= 0:
        raise CleftEdgeError(f"--max-false-per-hour {args.max_false_per_hour}", "a number of 0 or more",
                             "e.g. --max-false-per-hour 1")
    if not args.tolerance_s >= 0:
        raise CleftEdgeError(f"--tolerance-s {args.tolerance_s}", "seconds, 0 or more", "e.g. --tolerance-s 0.1")
    if not args.min_pass_s > 0:
        raise CleftEdgeError(f"--min-pass-s {args.min_pass_s}", "a positive duration in seconds", "e.g. 1")
    for flag, values in (("--grid-k", args.grid_k), ("--grid-n", args.grid_n)):
        if min(values) < 1:
            raise CleftEdgeError(f"{flag} {','.join(map(str, values))}", "whole numbers of 1 or more", "e.g. 2,3,4")
    if min(args.grid_clear_k) < 0 or min(args.grid_cooldown) < 0:
        raise CleftEdgeError("--grid-clear-k/--grid-cooldown with a negative value", "whole numbers of 0 or more",
                             "e.g. --grid-cooldown 0,30")
    if not all(0 < f <= 1 for f in args.grid_clear_fraction):
        raise CleftEdgeError(f"--grid-clear-fraction {args.grid_clear_fraction}", "fractions above 0, at most 1",
                             "e.g. 1,0.7,0.4")


def _run(args) -> int:
    from cleftedge.alert_tuning import curve_html
    from cleftedge.alert_tuning import tune as steps
    from cleftedge.alert_tuning.grid import Grid, Rule
    from cleftedge.alert_tuning.policy_file import write_policy
    from cleftedge.alert_tuning.record import record_of, refuse_overlap
    from cleftedge.alert_tuning.sweeps import fingerprint_sweeps, load_sweeps, refuse_same_files
    from cleftedge.atomic import write_text
    from cleftedge.calibration.qa.candidate import model_identity
    from cleftedge.runtime.model_flags import open_model

    _check_args(args)
    grid = Grid(args.grid_k, args.grid_n, args.grid_clear_k, args.grid_cooldown, args.grid_clear_fraction)
    rule = Rule(args.max_false_per_hour, args.min_alerted / 100, args.min_pass_s, args.tolerance_s)
    report = args.report or args.out.with_suffix(".html")
    refuse_same_files(args.sweeps, args.judged_on)  # cheap: before any frame is scored
    model_sha = model_identity(args.model)
    sweeps, threshold = load_sweeps(args.sweeps, lambda: open_model(args), progress=False if args.json else None)
    if args.judged_on:  # near copies (re-encoded, edited): their fingerprints against the tuning sweeps'
        judged = fingerprint_sweeps(args.judged_on, lambda: open_model(args), progress=False if args.json else None)
        refuse_overlap(judged, [record_of(s) for s in sweeps], f"--sweeps {args.sweeps} overlaps --judged-on")
    result = steps.tune(sweeps, "model", threshold, grid, rule)
    minutes = sum(s.frames / s.fps for s in sweeps) / 60
    context = {"model": f"{args.model} (SHA-256 {model_sha[:12]})", "flag threshold": f"{threshold:.4f} (the spec's)",
               "sweeps": f"{len(sweeps)} in {args.sweeps}, {minutes:.1f} min, "
                         f"{result.single.figures.normal_hours * 60:.1f} min of normal scanning, "
                         f"{result.single.figures.passes} in-plane cleft passes"}
    lines = steps.curve_lines(result)
    warning = steps.evidence_warning(result)
    if warning:
        context["warning"] = warning
    write_text(report, curve_html.render(result.points, result.chosen, result.single, result.front, rule, context))
    if result.chosen is None:
        if args.json:
            print(json.dumps({"chosen": None, "report": str(report), "line": steps.no_choice_line(result)}))
        else:
            print("\n".join(lines) + f"\noperating curve: {report}")
        raise CleftEdgeError(steps.no_choice_line(result), "a policy meeting the rule",
                             "see the curve and relax --max-false-per-hour or --min-alerted, or widen the grid")
    config = steps.chosen_config(result, f"tune-alerts on {len(sweeps)} sweeps ({minutes:.1f} min)", model_sha)
    header = (f"alert policy chosen by cleftedge tune-alerts on {len(sweeps)} labelled sweeps for {args.model}\n"
              f"rule: {rule.describe()}")
    write_policy(args.out, config, steps.tuning_table(result, str(args.model), model_sha, sweeps, grid),
                 [record_of(s) for s in sweeps], header)
    if args.json:
        print(json.dumps({"chosen": steps.describe(config), "policy": str(args.out), "report": str(report),
                          "figures": result.chosen.figures.as_dict(),
                          "single_frame": result.single.figures.as_dict(),
                          "alert_delay": {"median_s": config.delay.median_s, "max_s": config.delay.max_s},
                          "warning": warning}))
    else:
        print("\n".join(lines))
        if warning:
            print(f"warning: {warning}")
        print(f"chosen: {steps.describe(config)}; alarm delay {config.delay.line()}")
        print(f"wrote {args.out}; operating curve: {report}")
    sys.stdout.flush()
    return 0
