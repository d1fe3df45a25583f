"""Reference vs candidate on the same frames: every figure, its interval, and the paired
differences (candidate - reference) on the very same bootstrap resamples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

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
        """As the report stores it: counts, both models' figures, the differences, agreement, AUC drop, evidence."""
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


class BootstrapSettings(Protocol):
    """What the intervals are drawn with: resamples, their seed, the confidence level (a QA `Policy` is one)."""

    @property
    def resamples(self) -> int:
        """Bootstrap resamples to draw."""
        ...

    @property
    def seed(self) -> int:
        """The resamples' random seed."""
        ...

    @property
    def confidence(self) -> float:
        """The intervals' confidence level, e.g. 0.95."""
        ...


@dataclass(frozen=True)
class Bootstrap:
    """The QA gate's default bootstrap: 2000 case-clustered resamples, seed 0, 95 % intervals."""

    resamples: int = 2000
    seed: int = 0
    confidence: float = 0.95


def paired_figures(positive: Sequence[bool] | np.ndarray, ref_scores: Sequence[float] | np.ndarray,
                   cand_scores: Sequence[float] | np.ndarray,
                   ref_threshold: float, cand_threshold: float, case_ids: Sequence | None = None,
                   bootstrap: BootstrapSettings = Bootstrap(), with_auc: bool = True) -> PairedFigures:
    """Both models' figures, their paired differences and decision agreement, each with its
    case-clustered bootstrap interval and (in `.evidence`) its analytic interval. `case_ids` are
    the cluster labels (cases, already merged with their near-duplicates); a frame without one is
    a cluster of its own."""
    confidence = bootstrap.confidence
    pos = np.asarray(positive, dtype=bool)
    rs = np.asarray(ref_scores, dtype=np.float64)
    cs = np.asarray(cand_scores, dtype=np.float64)
    n = pos.size
    codes, n_clusters = cluster_codes(case_ids, n)
    res = Resampler(codes, n_clusters, bootstrap.resamples, bootstrap.seed)
    rf, cf = decide(rs, ref_threshold), decide(cs, cand_threshold)
    has_both = bool(pos.any() and (~pos).any())
    sides = {"ref": _Side(_confusion(res, pos, rf), AucSorter(pos, rs, codes) if with_auc and has_both else None),
             "cand": _Side(_confusion(res, pos, cf), AucSorter(pos, cs, codes) if with_auc and has_both else None)}
    names = FIGURES if sides["ref"].sorter else RATE_FIGURES
    boot, agree_boot = _resampled(res, sides, names, res.cluster_sum(rf == cf), res.cluster_sum(np.ones(n)))

    ones = np.ones((1, n_clusters))
    point = {side: _points(ones, got.confusion, got.sorter) for side, got in sides.items()}
    tally = cluster_tally(pos, codes)
    out = PairedFigures(n=n, positives=int(pos.sum()), clusters=n_clusters,
                        clustered=case_ids is not None and n_clusters < n,
                        positive_clusters=tally["positive_clusters"], negative_clusters=tally["negative_clusters"])
    if n:
        out.evidence = analytic_evidence(pos, rf, cf, codes, n_clusters, confidence,
                                         scores=(rs, cs) if with_auc and has_both else None)
    _fill_intervals(out, boot, point, names, confidence)
    out.agreement = interval(np.concatenate(agree_boot), float(np.mean(rf == cf)) if n else None, confidence)
    if "auc" in names:
        d = out.diff["auc"]
        out.auc_drop = Estimate(None if d.value is None else -d.value, None if d.high is None else -d.high,
                                None if d.low is None else -d.low, d.undefined)
    return out


@dataclass(frozen=True)
class _Side:
    confusion: np.ndarray  # (4, clusters): per-cluster tp, fp, tn, fn
    sorter: AucSorter | None  # None: no AUC (not asked for, or one class only)


def _resampled(res: Resampler, sides: dict[str, _Side], names: Sequence[str], agree_c: np.ndarray,
               frames_c: np.ndarray) -> tuple[dict[str, dict[str, list]], list]:
    """Each side's figures on every bootstrap resample (chunks of arrays per figure), and the agreement's."""
    boot: dict[str, dict[str, list]] = {side: {k: [] for k in names} for side in sides}
    agree_boot = []
    for counts in res.chunks():
        for side, got in sides.items():
            for k, v in rates(*(counts @ got.confusion.T).T).items():
                boot[side][k].append(v)
            if got.sorter:
                boot[side]["auc"].append(got.sorter.auc_resampled(counts))
        agree_boot.append(_div(counts @ agree_c, counts @ frames_c))
    return boot, agree_boot


def _fill_intervals(out: PairedFigures, boot: dict[str, dict[str, list]], point: dict[str, dict[str, float | None]],
                    names: Sequence[str], confidence: float) -> None:
    """Each figure's interval for both models and for their difference (candidate - reference)."""
    for k in names:
        r, c = np.concatenate(boot["ref"][k]), np.concatenate(boot["cand"][k])
        out.ref[k] = interval(r, point["ref"][k], confidence)
        out.cand[k] = interval(c, point["cand"][k], confidence)
        pr, pc = point["ref"][k], point["cand"][k]
        out.diff[k] = interval(c - r, None if pr is None or pc is None else pc - pr, confidence)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _points(ones: np.ndarray, conf: np.ndarray, sorter: AucSorter | None) -> dict[str, float | None]:
    vals = {k: float(v[0]) for k, v in rates(*(ones @ conf.T).T).items()}
    if sorter:
        vals["auc"] = sorter.point()
    return {k: (None if np.isnan(v) else v) for k, v in vals.items()}
