"""cleftedge qa-plan: how large a locked QA set must be to show non-inferiority at a policy."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError

EXAMPLE = """cleftedge qa-plan --policy policy.toml --expected-flip-rate 0.002 --frames-per-case 6
  (ICC 1 by default: flips come in whole cases, the worst case; --icc 0.3 if you know better)"""


def register(sub) -> None:
    """Add `cleftedge qa-plan` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "qa-plan", "How many positive and negative clusters (cases) a locked QA set needs for "
                    "a chance of passing the policy (and the minimum below which QA is INCONCLUSIVE)", EXAMPLE, _run)
    p.add_argument("--policy", type=Path, help="policy TOML (default: the default policy)")
    p.add_argument("--expected-flip-rate", type=float, default=0.0, metavar="R",
                   help="share of frames whose decision the candidate flips (default 0), counted against it")
    p.add_argument("--frames-per-case", type=float, default=6.0, metavar="M",
                   help="frames per case of each class (default 6)")
    p.add_argument("--icc", type=float, default=1.0, metavar="RHO",
                   help="intra-class correlation of flips within a case (default 1, the worst case)")
    p.add_argument("--power", type=float, default=0.8, help="the chance of passing to plan for (default 0.8)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")


def _check(args) -> None:
    rate = args.expected_flip_rate
    for flag, value, ok, expected in (
            ("--expected-flip-rate", rate, 0.0 <= rate < 1.0, "from 0 to below 1"),
            ("--frames-per-case", args.frames_per_case, args.frames_per_case >= 1.0, "1 or more"),
            ("--icc", args.icc, 0.0 <= args.icc <= 1.0, "from 0 to 1"),
            ("--power", args.power, 0.0 < args.power < 1.0, "above 0 and below 1")):
        if not ok:
            raise CleftEdgeError(f"{flag} {value}", expected, f"e.g. {EXAMPLE.splitlines()[0]}")


def _run(args) -> int:
    from cleftedge.calibration.qa.plan import Assumptions, plan
    from cleftedge.calibration.qa.policy import load_policy

    _check(args)
    policy = load_policy(args.policy)
    a = Assumptions(args.expected_flip_rate, args.frames_per_case, args.icc, args.power)
    found = plan(policy, a)
    eff = policy.effective()
    if found is None:
        raise CleftEdgeError(f"with {a.flip_rate * 100:g} % of frames flipping, no QA set of any size passes this "
                             f"policy (sensitivity/specificity limits {eff.min_sensitivity_difference_pp:g} / "
                             f"{eff.min_specificity_difference_pp:g} pp, agreement {eff.min_agreement * 100:g} %)",
                             "a flip rate below the policy's margins",
                             "improve the candidate (cleftedge calibrate --diagnose) before collecting a QA set")
    if args.json:
        print(json.dumps({"policy": eff.to_dict(), "policy_sha256": eff.sha256(), **found.to_dict()}, indent=1))
        return 0
    d = found.to_dict()
    print(f"policy {args.policy or '(defaults)'}: {eff.confidence * 100:g} % intervals; sensitivity and specificity "
          f"difference >= {eff.min_sensitivity_difference_pp:g} / {eff.min_specificity_difference_pp:g} pp, "
          f"agreement >= {eff.min_agreement * 100:g} %")
    print(f"assumed: {a.flip_rate * 100:g} % of frames flip, all against the candidate; {a.frames_per_case:g} frames "
          f"per case; ICC {a.icc:g} (design effect {a.design_effect:.3g})")
    print(f"minimum: {found.minimum_positive_clusters} positive and {found.minimum_negative_clusters} negative "
          "clusters (what a set without a single flip needs; below them QA is INCONCLUSIVE)")
    print(f"to pass with a chance of {a.power * 100:g} %: {found.clusters} positive clusters (cases with a cleft "
          f"frame) and {found.clusters} negative clusters (cases with a no-cleft frame), about {d['frames_per_class']} "
          f"frames of each class at {a.frames_per_case:g} frames per case")
    print(f"chance of passing with that set: {found.chance * 100:.1f} % (sensitivity "
          f"{found.chance_sensitivity * 100:.1f} %, specificity {found.chance_specificity * 100:.1f} %, agreement "
          f"{found.chance_agreement * 100:.1f} %); "
          "the AUC criterion depends on the scores, not on flips, and is not planned here")
    return 0
