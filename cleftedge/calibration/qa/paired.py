"""Reference vs candidate on the same frames: every figure, its interval, and the paired
differences (candidate - reference) on the very same bootstrap resamples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cleftedge.calibration.qa.evidence import Evidence, analytic_evidence, cluster_tally
from cleftedge.calibration.qa.stats import (
    FIGURES,
    RATE_FIGURES,
    AucSorter,
    Estimate,
    Resampler,
    cluster_codes,
    interval,
    rates,
)
from cleftedge.runtime.scoring import flagged


def decide(scores: np.ndarray, threshold: float) -> np.ndarray:
    """A frame is flagged when its score reaches the operating threshold (as in the runtime)."""
    return flagged(np.asarray(scores, dtype=np.float64), threshold)


@dataclass
class PairedFigures:
    n: int
    positives: int
    clusters: int
    clustered: bool
    ref: dict[str, Estimate] = field(default_factory=dict)
    cand: dict[str, Estimate] = field(default_factory=dict)
    diff: dict[str, Estimate] = field(default_factory=dict)  # candidate - reference
    agreement: Estimate | None = None  # share of frames with the same decision
    auc_drop: Estimate | None = None  # reference AUC - candidate AUC
    positive_clusters: int = 0  # clusters (cases) holding a positive frame
    negative_clusters: int = 0  # clusters holding a negative frame
    evidence: dict[str, Evidence] = field(default_factory=dict)  # analytic intervals per criterion

    def to_dict(self) -> dict:
        return {
            "frames": self.n, "positives": self.positives, "clusters": self.clusters, "clustered": self.clustered,
            "positive_clusters": self.positive_clusters, "negative_clusters": self.negative_clusters,
            "reference": {k: v.to_dict() for k, v in self.ref.items()},
            "candidate": {k: v.to_dict() for k, v in self.cand.items()},
            "difference": {k: v.to_dict() for k, v in self.diff.items()},
            "agreement": self.agreement.to_dict() if self.agreement else None,
            "auc_drop": self.auc_drop.to_dict() if self.auc_drop else None,
            "analytic": {k: v.to_dict() for k, v in self.evidence.items()},
        }


def _confusion(res: Resampler, positive: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """(4, clusters): per-cluster tp, fp, tn, fn."""
    return np.stack([res.cluster_sum(positive & flagged), res.cluster_sum(~positive & flagged),
                     res.cluster_sum(~positive & ~flagged), res.cluster_sum(positive & ~flagged)])


def paired_figures(positive: Sequence[bool], ref_scores: Sequence[float], cand_scores: Sequence[float],
                   ref_threshold: float, cand_threshold: float, case_ids: Sequence | None = None,
                   resamples: int = 2000, seed: int = 0, confidence: float = 0.95,
                   with_auc: bool = True) -> PairedFigures:
    """Both models' figures, their paired differences and decision agreement, each with its
    case-clustered bootstrap interval and (in `.evidence`) its analytic interval. `case_ids` are
    the cluster labels (cases, already merged with their near-duplicates); a frame without one is
    a cluster of its own."""
    pos = np.asarray(positive, dtype=bool)
    rs = np.asarray(ref_scores, dtype=np.float64)
    cs = np.asarray(cand_scores, dtype=np.float64)
    n = pos.size
    codes, n_clusters = cluster_codes(case_ids, n)
    res = Resampler(codes, n_clusters, resamples, seed)
    rf, cf = decide(rs, ref_threshold), decide(cs, cand_threshold)
    conf_r, conf_c = _confusion(res, pos, rf), _confusion(res, pos, cf)
    agree_c = res.cluster_sum(rf == cf)
    frames_c = res.cluster_sum(np.ones(n))
    has_both = bool(pos.any() and (~pos).any())
    sort_r = AucSorter(pos, rs, codes) if with_auc and has_both else None
    sort_c = AucSorter(pos, cs, codes) if with_auc and has_both else None

    names = FIGURES if sort_r else RATE_FIGURES
    boot = {side: {k: [] for k in names} for side in ("ref", "cand")}
    agree_boot = []
    for counts in res.chunks():
        for side, conf, sorter in (("ref", conf_r, sort_r), ("cand", conf_c, sort_c)):
            for k, v in rates(*(counts @ conf.T).T).items():
                boot[side][k].append(v)
            if sorter:
                boot[side]["auc"].append(sorter.auc_resampled(counts))
        agree_boot.append(_div(counts @ agree_c, counts @ frames_c))

    ones = np.ones((1, n_clusters))
    point = {"ref": _points(ones, conf_r, sort_r), "cand": _points(ones, conf_c, sort_c)}
    tally = cluster_tally(pos, codes)
    out = PairedFigures(n=n, positives=int(pos.sum()), clusters=n_clusters,
                        clustered=case_ids is not None and n_clusters < n,
                        positive_clusters=tally["positive_clusters"], negative_clusters=tally["negative_clusters"])
    if n:
        out.evidence = analytic_evidence(pos, rf, cf, rs, cs, codes, n_clusters, confidence,
                                         with_auc=with_auc and has_both)
    for k in names:
        r, c = np.concatenate(boot["ref"][k]), np.concatenate(boot["cand"][k])
        out.ref[k] = interval(r, point["ref"][k], confidence)
        out.cand[k] = interval(c, point["cand"][k], confidence)
        pd = None if point["ref"][k] is None or point["cand"][k] is None else point["cand"][k] - point["ref"][k]
        out.diff[k] = interval(c - r, pd, confidence)
    out.agreement = interval(np.concatenate(agree_boot), float(np.mean(rf == cf)) if n else None, confidence)
    if "auc" in names:
        d = out.diff["auc"]
        out.auc_drop = Estimate(None if d.value is None else -d.value, None if d.high is None else -d.high,
                                None if d.low is None else -d.low, d.undefined)
    return out


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _points(ones: np.ndarray, conf: np.ndarray, sorter: AucSorter | None) -> dict[str, float | None]:
    vals = {k: float(v[0]) for k, v in rates(*(ones @ conf.T).T).items()}
    if sorter:
        vals["auc"] = sorter.point()
    return {k: (None if np.isnan(v) else v) for k, v in vals.items()}
