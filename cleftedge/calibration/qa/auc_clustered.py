"""Obuchowski's (1997) nonparametric variance of the AUC for clustered data, for two models scored
on the very same frames (the paired difference the QA gate judges).

Each positive frame x gets its placement V10(x) = P(score of a negative < x) + P(tie) / 2, each
negative y its V01(y) = P(score of a positive > y) + P(tie) / 2; both are summed per cluster. With
I10 clusters holding a positive frame (M frames in all), I01 clusters holding a negative (N) and
I clusters in all:
    S10 = I10 / ((I10 - 1) M) sum_i (V10_i - m_i A)^2
    S01 = I01 / ((I01 - 1) N) sum_i (V01_i - n_i A)^2
    S11 = I / (I - 1)         sum_i (V10_i - m_i A)(V01_i - n_i A)
    var(A) = S10 / M + S01 / N + 2 S11 / (M N)
and the covariance of two models' AUCs takes the cross products (S11 both ways). Placements come
from sorted scores (O(n log n)), so 45,139 frames take milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class ClusteredAuc:
    reference: float
    candidate: float
    var_reference: float
    var_candidate: float
    covariance: float
    clusters: int
    positive_clusters: int
    negative_clusters: int
    positives: int
    negatives: int

    @property
    def drop(self) -> float:
        """reference AUC - candidate AUC."""
        return self.reference - self.candidate

    @property
    def var_drop(self) -> float:
        """The variance of the AUC drop (reference - candidate), never below 0."""
        return max(self.var_reference + self.var_candidate - 2.0 * self.covariance, 0.0)


def placements(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(V10 per positive frame, V01 per negative frame, AUC), ties counted one half."""
    pos = np.asarray(positive, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    xs, ys = s[pos], s[~pos]
    neg_sorted, pos_sorted = np.sort(ys), np.sort(xs)
    below = np.searchsorted(neg_sorted, xs, side="left")
    tied = np.searchsorted(neg_sorted, xs, side="right") - below
    v10 = (below + 0.5 * tied) / ys.size
    above = xs.size - np.searchsorted(pos_sorted, ys, side="right")
    tied_p = np.searchsorted(pos_sorted, ys, side="right") - np.searchsorted(pos_sorted, ys, side="left")
    v01 = (above + 0.5 * tied_p) / xs.size
    return v10, v01, float(v10.mean())


def _components(positive: np.ndarray, scores: ArrayLike, codes: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-cluster deviations (V10_i - m_i A, V01_i - n_i A) and the AUC."""
    pos = np.asarray(positive, dtype=bool)
    v10, v01, a = placements(pos, np.asarray(scores))
    m = np.bincount(codes[pos], minlength=k).astype(np.float64)
    n = np.bincount(codes[~pos], minlength=k).astype(np.float64)
    x = np.bincount(codes[pos], weights=v10, minlength=k) - m * a
    y = np.bincount(codes[~pos], weights=v01, minlength=k) - n * a
    return x, y, a


def clustered_auc(positive: ArrayLike, ref_scores: ArrayLike, cand_scores: ArrayLike, codes: ArrayLike,
                  n_clusters: int) -> ClusteredAuc | None:
    """Both AUCs, their variances and covariance (Obuchowski 1997). None without two clusters
    holding positives and two holding negatives (the variance needs them)."""
    pos = np.asarray(positive, dtype=bool)
    codes = np.asarray(codes, dtype=np.int64)
    k = int(n_clusters)
    big_m, big_n = int(pos.sum()), int((~pos).sum())
    i10 = np.unique(codes[pos]).size
    i01 = np.unique(codes[~pos]).size
    i_all = np.unique(codes).size
    if i10 < 2 or i01 < 2 or i_all < 2:
        return None
    xr, yr, ar = _components(pos, ref_scores, codes, k)
    xc, yc, ac = _components(pos, cand_scores, codes, k)
    f10, f01, f11 = i10 / ((i10 - 1.0) * big_m), i01 / ((i01 - 1.0) * big_n), i_all / (i_all - 1.0)

    def cov(xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, yb: np.ndarray) -> float:
        s10 = f10 * float(np.dot(xa, xb))
        s01 = f01 * float(np.dot(ya, yb))
        s11_ab = f11 * float(np.dot(xa, yb))
        s11_ba = f11 * float(np.dot(xb, ya))
        return s10 / big_m + s01 / big_n + (s11_ab + s11_ba) / (big_m * big_n)

    return ClusteredAuc(ar, ac, cov(xr, yr, xr, yr), cov(xc, yc, xc, yc), cov(xr, yr, xc, yc), i_all, i10, i01,
                        big_m, big_n)
