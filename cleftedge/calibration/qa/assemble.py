"""From scored frames to the report's figures: overall, flips, per site, per label, per case, ROC."""

from __future__ import annotations

import numpy as np

from cleftedge.calibration.qa import compare
from cleftedge.calibration.qa.compare import ScoredSet
from cleftedge.calibration.qa.policy import Policy, judge
from cleftedge.calibration.qa.stats import roc_curve


def _operating_point(fig: dict, side: str) -> list[float] | None:
    spec = fig[side].get("specificity", {}).get("value")
    sens = fig[side].get("sensitivity", {}).get("value")
    return None if spec is None or sens is None else [1.0 - spec, sens]


def judged_figures(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy) -> tuple[dict, dict]:
    """The overall paired figures and the policy's verdict on them."""
    fig = compare.figures(data, ref_t, cand_t, policy)
    return fig.to_dict(), judge(fig, policy).to_dict()


def figures_section(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy) -> dict:
    figures, verdict = judged_figures(data, ref_t, cand_t, policy)
    flip_list = compare.flips(data, ref_t, cand_t)
    both = bool(data.positive.any() and (~data.positive).any())
    return {
        "verdict": verdict,
        "figures": figures,
        "flips": {**compare.flip_summary(data, ref_t, cand_t), "frames": flip_list},
        "score_difference": compare.score_differences(data.ref, data.cand),
        "sites": compare.group_table(data, compare.site_groups(data), ref_t, cand_t, policy),
        "labels": compare.group_table(data, compare.label_groups(data), ref_t, cand_t, policy),
        "cases": compare.case_summary(data, ref_t, cand_t, policy),
        "operating_points": {"reference": _operating_point(figures, "reference"),
                             "candidate": _operating_point(figures, "candidate")},
        "plots": {"roc_reference": roc_curve(data.positive, data.ref) if both else [],
                  "roc_candidate": roc_curve(data.positive, data.cand) if both else []},
    }


def flipped_mask(data: ScoredSet, ref_t: float, cand_t: float) -> np.ndarray:
    return (data.ref >= ref_t) != (data.cand >= cand_t)
