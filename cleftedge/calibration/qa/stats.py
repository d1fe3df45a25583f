"""Diagnostic figures with bootstrap confidence intervals, clustered by case.

One resampling scheme serves every figure: each resample draws whole clusters (cases; or single
frames when the data set has no case ids) with replacement, which gives every frame a weight (how
often its cluster was drawn). Reference and candidate figures, and their paired differences, are
computed on the very same resamples. Confusion-matrix figures reduce to (resamples x clusters) @
(per-cluster counts); AUC uses the weighted Mann-Whitney form over score-sorted frames, in chunks of
resamples so that memory stays bounded. Intervals are percentile intervals of the resampled values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

RATE_FIGURES = ("sensitivity", "specificity", "ppv", "npv")
FIGURES = (*RATE_FIGURES, "auc")
CHUNK = 64  # resamples per block: 64 x 45,139 frames of float32 weights is about 12 MB


@dataclass(frozen=True)
class Estimate:
    value: float | None  # the point estimate on the whole set (None when undefined)
    low: float | None
    high: float | None
    undefined: int = 0  # resamples in which the figure was undefined (e.g. no positives drawn)

    def to_dict(self) -> dict:
        """As the report stores it: value, ci_low, ci_high, undefined_resamples."""
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high, "undefined_resamples": self.undefined}


def cluster_codes(case_ids: Sequence | None, n: int) -> tuple[np.ndarray, int]:
    """Integer cluster index per frame. Frames without a case id are clusters of their own."""
    if case_ids is None:
        return np.arange(n), n
    codes = np.empty(n, dtype=np.int64)
    seen: dict = {}
    for i, c in enumerate(case_ids):
        key = ("case", c) if c not in (None, "") else ("frame", i)
        codes[i] = seen.setdefault(key, len(seen))
    return codes, len(seen)


class Resampler:
    """Seeded cluster bootstrap. Iterating twice yields the same resamples (same seed)."""

    def __init__(self, codes: np.ndarray, n_clusters: int, resamples: int = 2000, seed: int = 0):
        self.codes = np.asarray(codes, dtype=np.int64)
        self.n_clusters = int(n_clusters)
        self.resamples = int(resamples)
        self.seed = int(seed)

    def chunks(self, size: int = CHUNK) -> Iterator[np.ndarray]:
        """Yield (b, clusters) matrices of how often each cluster was drawn."""
        rng = np.random.default_rng(self.seed)
        c = self.n_clusters
        left = self.resamples
        while left > 0:
            b = min(size, left)
            left -= b
            drawn = rng.integers(0, c, size=(b, c)) + np.arange(b)[:, None] * c  # c draws per resample
            yield np.bincount(drawn.ravel(), minlength=b * c).reshape(b, c).astype(np.float32)

    def cluster_sum(self, values: np.ndarray) -> np.ndarray:
        """Per-cluster sums of a per-frame quantity."""
        return np.bincount(self.codes, weights=np.asarray(values, dtype=np.float64), minlength=self.n_clusters)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def rates(tp: ArrayLike, fp: ArrayLike, tn: ArrayLike, fn: ArrayLike) -> dict[str, np.ndarray]:
    """Sensitivity, specificity, PPV and NPV from (possibly weighted) confusion counts."""
    tp, fp, tn, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, tn, fn))
    return {"sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
            "ppv": _ratio(tp, tp + fp), "npv": _ratio(tn, tn + fn)}


class AucSorter:
    """Precomputes, for each positive frame, how many negatives score below it (and at its score),
    so that a weighted AUC is a cumulative sum over the negatives and one gather per positive."""

    def __init__(self, positive: np.ndarray, scores: np.ndarray, codes: np.ndarray):
        pos = np.asarray(positive, dtype=bool)
        s = np.asarray(scores, dtype=np.float64)
        codes = np.asarray(codes)
        order = np.argsort(s[~pos], kind="stable")
        neg_sorted = s[~pos][order]
        self.neg_codes = codes[~pos][order]
        self.pos_codes = codes[pos]
        self.lo = np.searchsorted(neg_sorted, s[pos], side="left")  # negatives strictly below
        self.hi = np.searchsorted(neg_sorted, s[pos], side="right")  # ... and tied with it
        self.ties = not np.array_equal(self.lo, self.hi)

    def auc(self, wp: np.ndarray, wn: np.ndarray) -> np.ndarray:
        """AUC per row from positive weights (rows x positives) and negative weights (rows x
        negatives, in score order): P(score+ > score-) + P(tie) / 2."""
        wp, wn = np.atleast_2d(wp), np.atleast_2d(wn)
        cum = np.concatenate([np.zeros((wn.shape[0], 1), wn.dtype), np.cumsum(wn, axis=1)], axis=1)
        below = cum[:, self.lo]
        if self.ties:
            below = 0.5 * (below + cum[:, self.hi])
        num = np.asarray(np.sum(wp * below, axis=1, dtype=np.float64))
        return _ratio(num, wp.sum(axis=1, dtype=np.float64) * wn.sum(axis=1, dtype=np.float64))

    def point(self) -> float:
        """The AUC on the frames as they are (every weight 1)."""
        v = self.auc(np.ones((1, self.pos_codes.size)), np.ones((1, self.neg_codes.size)))[0]
        return float(v)

    def auc_resampled(self, counts: np.ndarray) -> np.ndarray:
        """Resampled weights come as float32 counts (exact whole numbers below 2**24)."""
        return self.auc(counts[:, self.pos_codes], counts[:, self.neg_codes])


def auc(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Plain (unweighted) ROC AUC with ties counted as one half; None without both classes."""
    pos = np.asarray(positive, dtype=bool)
    v = AucSorter(pos, np.asarray(scores, dtype=np.float64), np.zeros(pos.size, dtype=np.int64)).point()
    return None if np.isnan(v) else v


def roc_curve(positive: Sequence[bool] | np.ndarray, scores: Sequence[float] | np.ndarray,
              max_points: int = 400) -> list[tuple[float, float]]:
    """(false-positive rate, true-positive rate) points from the highest threshold down."""
    pos = np.asarray(positive, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s, pos = s[order], pos[order]
    last = np.r_[s[1:] != s[:-1], True]  # the last frame of each tie group
    tp = np.cumsum(pos)[last]
    fp = np.cumsum(~pos)[last]
    tpr = tp / max(int(pos.sum()), 1)
    fpr = fp / max(int((~pos).sum()), 1)
    pts = np.c_[np.r_[0.0, fpr], np.r_[0.0, tpr]]
    if len(pts) > max_points:  # thin evenly, keep both ends
        keep = np.unique(np.r_[np.linspace(0, len(pts) - 1, max_points).astype(int), len(pts) - 1])
        pts = pts[keep]
    return [(float(a), float(b)) for a, b in pts]


def interval(values: np.ndarray, point: float | None, confidence: float) -> Estimate:
    """The percentile interval of the bootstrap `values` (NaN resamples left out and counted) around `point`."""
    v = np.asarray(values, dtype=np.float64)
    ok = v[~np.isnan(v)]
    undefined = int(v.size - ok.size)
    if point is None or np.isnan(point) or ok.size == 0:
        return Estimate(None if point is None or np.isnan(point) else float(point), None, None, undefined)
    tail = (1.0 - confidence) / 2.0 * 100.0
    lo, hi = np.percentile(ok, [tail, 100.0 - tail])
    return Estimate(float(point), float(lo), float(hi), undefined)
