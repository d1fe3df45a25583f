"""From scored frames to the report's figures: overall, flips, per site, per label and severity band,
per case, ROC; and the verdict on them (subgroups gated where the policy sets their limits)."""

from __future__ import annotations

import numpy as np

from cleftedge.calibration.qa import compare
from cleftedge.calibration.qa.compare import ScoredSet
from cleftedge.calibration.qa.paired import PairedFigures
from cleftedge.calibration.qa.policy import Policy
from cleftedge.calibration.qa.stats import roc_curve
from cleftedge.calibration.qa.verdict import Verdict, judge


def _operating_point(fig: dict, side: str) -> list[float] | None:
    spec = fig[side].get("specificity", {}).get("value")
    sens = fig[side].get("sensitivity", {}).get("value")
    return None if spec is None or sens is None else [1.0 - spec, sens]


def _subgroups(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy) -> dict[str, dict]:
    """kind -> {group name: (frames, figures)} for the sites and the severity bands."""
    return {"site": compare.group_figures(data, compare.site_groups(data), ref_t, cand_t, policy),
            "band": compare.group_figures(data, compare.band_groups(data), ref_t, cand_t, policy)}


def _judge(data: ScoredSet, ref_t: float, cand_t: float,
           policy: Policy) -> tuple[PairedFigures, Verdict, dict[str, dict]]:
    fig = compare.figures(data, ref_t, cand_t, policy)
    groups = _subgroups(data, ref_t, cand_t, policy)
    gated = [(kind, name, f) for kind, found in groups.items() for name, (_, f) in found.items()]
    return fig, judge(fig, policy, gated), groups


def judged_figures(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy) -> tuple[dict, dict]:
    """The overall paired figures and the policy's verdict on them."""
    fig, verdict, _ = _judge(data, ref_t, cand_t, policy)
    return fig.to_dict(), {**verdict.to_dict(), "evidence": verdict.evidence}


def figures_section(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy) -> dict:
    """The report's figures: both models' figures and intervals, the verdict, the flips, ROC points and the
    site, band, label and case tables."""
    fig, verdict, groups = _judge(data, ref_t, cand_t, policy)
    figures = fig.to_dict()
    flip_list = compare.flips(data, ref_t, cand_t)
    both = bool(data.positive.any() and (~data.positive).any())
    labels = compare.group_table(data, compare.label_groups(data), ref_t, cand_t, policy)
    return {
        "verdict": verdict.to_dict(),
        "evidence": verdict.evidence,
        "figures": figures,
        "flips": {**compare.flip_summary(data, ref_t, cand_t), "frames": flip_list},
        "score_difference": compare.score_differences(data.ref, data.cand),
        "sites": compare.group_rows(groups["site"], ref_t, cand_t),
        "labels": labels + compare.group_rows(groups["band"], ref_t, cand_t),
        "cases": compare.case_summary(data, ref_t, cand_t, policy),
        "operating_points": {"reference": _operating_point(figures, "reference"),
                             "candidate": _operating_point(figures, "candidate")},
        "plots": {"roc_reference": roc_curve(data.positive, data.ref) if both else [],
                  "roc_candidate": roc_curve(data.positive, data.cand) if both else []},
    }


def flipped_mask(data: ScoredSet, ref_t: float, cand_t: float) -> np.ndarray:
    """Per frame: whether the two models decide differently at their thresholds."""
    return (data.ref >= ref_t) != (data.cand >= cand_t)
