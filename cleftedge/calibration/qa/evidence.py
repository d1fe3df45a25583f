"""The analytic side of each criterion: its interval, the design effect behind it and the effective
n, computed on the clusters (cases, merged with their near-duplicates) of the very frames the
bootstrap resamples. The verdict takes, per criterion, the more conservative of this interval and
the case-clustered bootstrap's (verdict.judge).

- sensitivity / specificity difference: Tango's score interval on Rao-Scott effective counts
  (the discordant counts and the pair count divided by the design effect of discordance);
- decision agreement and the reference's own rates: Clopper-Pearson on the Korn-Graubard
  effective sample size (n / design effect);
- AUC drop: reference - candidate AUC +- z * sqrt(Obuchowski's 1997 clustered variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cleftedge.calibration.qa.auc_clustered import clustered_auc
from cleftedge.calibration.qa.intervals import (
    DesignEffect,
    clopper_pearson,
    cluster_counts,
    design_effect,
    tango_interval,
    two_sided_z,
)


@dataclass(frozen=True)
class Evidence:
    """One criterion's analytic interval and what it rests on."""

    method: str  # "tango" | "clopper_pearson" | "obuchowski"
    estimate: float | None
    low: float | None
    high: float | None
    design: DesignEffect | None = None
    effective_n: float | None = None
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """As the report stores it: method, estimate, interval, effective n, design effect and the details."""
        out = {"method": self.method, "estimate": self.estimate, "low": self.low, "high": self.high,
               "effective_n": self.effective_n, **self.detail}
        if self.design is not None:
            out.update(self.design.to_dict())
        return out


def _finite(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def paired_rate(success_ref: np.ndarray, success_cand: np.ndarray, codes: np.ndarray, n_clusters: int,
                confidence: float) -> Evidence:
    """Candidate rate - reference rate on the same frames (Tango on effective counts).

    success_*: per frame, whether each model decided right (flagged for a positive frame, not
    flagged for a negative one)."""
    r = np.asarray(success_ref, dtype=bool)
    c = np.asarray(success_cand, dtype=bool)
    n = int(r.size)
    if n == 0:
        return Evidence("tango", None, None, None)
    gains = int(np.sum(c & ~r))  # the candidate right where the reference was wrong
    losses = int(np.sum(~c & r))
    deff = design_effect(cluster_counts(codes, n_clusters, c != r), cluster_counts(codes, n_clusters, np.ones(n)))
    lo, hi = tango_interval(deff.effective(gains), deff.effective(losses), deff.effective(n), confidence)
    return Evidence("tango", (gains - losses) / n, _finite(lo), _finite(hi), deff, deff.effective(n),
                    {"discordant_gains": gains, "discordant_losses": losses,
                     "effective_gains": deff.effective(gains), "effective_losses": deff.effective(losses)})


def proportion(indicator: np.ndarray, codes: np.ndarray, n_clusters: int, confidence: float) -> Evidence:
    """A share of frames (Clopper-Pearson on the Korn-Graubard effective sample size). The design
    effect is that of the frames where the indicator is false (discordant, or missed)."""
    x = np.asarray(indicator, dtype=bool)
    n = int(x.size)
    if n == 0:
        return Evidence("clopper_pearson", None, None, None)
    deff = design_effect(cluster_counts(codes, n_clusters, ~x), cluster_counts(codes, n_clusters, np.ones(n)))
    n_eff = deff.effective(n)
    p = float(x.mean())
    lo, hi = clopper_pearson(p * n_eff, n_eff, confidence)
    return Evidence("clopper_pearson", p, _finite(lo), _finite(hi), deff, n_eff,
                    {"successes": int(x.sum()), "effective_successes": p * n_eff})


def auc_drop(positive: np.ndarray, ref: np.ndarray, cand: np.ndarray, codes: np.ndarray, n_clusters: int,
             confidence: float) -> Evidence:
    """Reference AUC - candidate AUC with Obuchowski's clustered paired variance. The design effect
    reported is that variance over the same variance with every frame its own cluster."""
    pos = np.asarray(positive, dtype=bool)
    got = clustered_auc(pos, ref, cand, codes, n_clusters)
    if got is None:
        return Evidence("obuchowski", None, None, None, detail={"why": "fewer than two clusters with positives "
                                                                       "and two with negatives"})
    n = pos.size
    alone = clustered_auc(pos, ref, cand, np.arange(n), n)
    z = two_sided_z(confidence)
    half = z * math.sqrt(got.var_drop)
    deff_value = got.var_drop / alone.var_drop if alone is not None and alone.var_drop > 0 else None
    deff = None
    if deff_value is not None:
        deff = DesignEffect(deff_value, deff_value, got.clusters, n, got.clusters,
                            "clustered variance / the variance with every frame its own cluster")
    return Evidence("obuchowski", got.drop, got.drop - half, got.drop + half, deff,
                    n / deff_value if deff_value else None,
                    {"auc_reference": got.reference, "auc_candidate": got.candidate,
                     "variance_drop": got.var_drop, "positive_clusters": got.positive_clusters,
                     "negative_clusters": got.negative_clusters})


def analytic_evidence(positive: np.ndarray, ref_flag: np.ndarray, cand_flag: np.ndarray, codes: np.ndarray,
                      n_clusters: int, confidence: float,
                      scores: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Evidence]:
    """Every criterion's analytic evidence on one set of frames (the whole set or a subgroup), keyed by
    criterion. `scores` (the reference's and the candidate's per-frame scores) adds the AUC drop."""
    pos = np.asarray(positive, dtype=bool)
    codes = np.asarray(codes, dtype=np.int64)
    out = {
        "sensitivity_difference": paired_rate(ref_flag[pos], cand_flag[pos], codes[pos], n_clusters, confidence),
        "specificity_difference": paired_rate(~ref_flag[~pos], ~cand_flag[~pos], codes[~pos], n_clusters,
                                              confidence),
        "agreement": proportion(ref_flag == cand_flag, codes, n_clusters, confidence),
        "reference_sensitivity": proportion(ref_flag[pos], codes[pos], n_clusters, confidence),
        "reference_specificity": proportion(~ref_flag[~pos], codes[~pos], n_clusters, confidence),
    }
    if scores is not None:
        out["auc_drop"] = auc_drop(pos, scores[0], scores[1], codes, n_clusters, confidence)
    return out


def cluster_tally(positive: np.ndarray, codes: np.ndarray) -> dict[str, int]:
    """Clusters in all, with a positive frame (positive clusters), with a negative frame."""
    pos = np.asarray(positive, dtype=bool)
    codes = np.asarray(codes, dtype=np.int64)
    return {"clusters": int(np.unique(codes).size), "positive_clusters": int(np.unique(codes[pos]).size),
            "negative_clusters": int(np.unique(codes[~pos]).size)}
