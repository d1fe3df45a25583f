"""Analytic confidence intervals for the QA gate, honest on small and on clustered sets.

Frames of one fetus are not independent: a set of 2,000 frames from 300 cases holds far less
evidence than 2,000 independent frames. Every interval here works on counts that were first
divided by a design effect (Rao-Scott effective counts), estimated from the clusters themselves:

- paired proportions (sensitivity or specificity, candidate - reference): Tango's (1998) score
  interval for the difference of paired proportions;
- a single proportion (decision agreement, the reference's own rates): Clopper-Pearson on the
  Korn-Graubard (1998) effective sample size;
- the design effect: the variance of the ratio estimator of a clustered proportion (Obuchowski
  1998) over the binomial variance, clamped to [1, mean frames per cluster]; when fewer than
  `MIN_EVENT_CLUSTERS` clusters hold an event the estimate means nothing and the largest design
  effect of that range is used (the effective n is then the number of clusters).

Plain numpy and the standard library only (no scipy): this runs on a cart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MIN_EVENT_CLUSTERS = 5  # fewer clusters than this with an event: the design effect is the largest allowed


def normal_quantile(p: float) -> float:
    """The standard normal distribution's p-quantile."""
    return NormalDist().inv_cdf(p)


def two_sided_z(confidence: float) -> float:
    """z of a two-sided interval: 1.959964 for 95 %."""
    return normal_quantile(1.0 - (1.0 - confidence) / 2.0)


# --- Clopper-Pearson (exact binomial) on real-valued counts ---------------------------------------

def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """Regularized incomplete beta I_x(a, b) for a, b > 0."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_cf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_cf(b, a, 1.0 - x) / b


def _root(f: Callable[[float], float], lo: float, hi: float) -> float:
    """f decreasing on [lo, hi] with f(lo) >= 0 >= f(hi): the crossing, by bisection."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0.0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-14:
            break
    return 0.5 * (lo + hi)


def beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), by bisection (the CDF is monotone): to about 1e-13."""
    return _root(lambda x: q - beta_cdf(x, a, b), 0.0, 1.0)


def clopper_pearson(x: float, n: float, confidence: float) -> tuple[float, float]:
    """Exact binomial interval; x and n may be real (effective counts). (nan, nan) when n <= 0."""
    if n <= 0:
        return math.nan, math.nan
    x = min(max(x, 0.0), n)
    alpha = 1.0 - confidence
    lo = 0.0 if x <= 0 else beta_ppf(alpha / 2.0, x, n - x + 1.0)
    hi = 1.0 if x >= n else beta_ppf(1.0 - alpha / 2.0, x + 1.0, n - x)
    return lo, hi


# --- Tango's score interval for a difference of paired proportions --------------------------------

def _tango_z(delta: float, b: float, c: float, n: float) -> float:
    """Tango's score statistic at difference `delta` (b = first yes/second no, c = first no/second yes).

    The constrained MLE of p21 solves 2n q^2 + W q - c delta (1 - delta) = 0 with
    W = -b - c + (2n - b + c) delta (Tango 1998, eq. 4)."""
    w = -b - c + (2.0 * n - b + c) * delta
    q = (math.sqrt(max(w * w + 8.0 * n * c * delta * (1.0 - delta), 0.0)) - w) / (4.0 * n)
    var = n * (2.0 * q + delta * (1.0 - delta))
    num = b - c - n * delta
    if var <= 0.0:
        return math.copysign(math.inf, num) if num else 0.0
    return num / math.sqrt(var)


def tango_lower(b: float, c: float, n: float, confidence: float) -> float:
    """The lower limit of tango_interval alone (half the work)."""
    if n <= 0:
        return math.nan
    z = two_sided_z(confidence)
    est = (b - c) / n
    return -1.0 if est <= -1.0 else _root(lambda d: _tango_z(d, b, c, n) - z, -1.0, est)


def tango_interval(b: float, c: float, n: float, confidence: float) -> tuple[float, float]:
    """Score interval for p1 - p2 = (b - c) / n of paired binary outcomes (Tango 1998).

    b: pairs where the first says yes and the second no; c: the reverse; n: all pairs. b, c and n
    may be real (effective counts). (nan, nan) when n <= 0."""
    if n <= 0:
        return math.nan, math.nan
    z = two_sided_z(confidence)
    est = (b - c) / n
    # Z(delta) falls from +inf at delta = -1 to -inf at +1; the limits are where it crosses +z and -z
    lo = tango_lower(b, c, n, confidence)
    hi = 1.0 if est >= 1.0 else _root(lambda d: _tango_z(d, b, c, n) + z, est, 1.0)
    return lo, hi


def zero_flip_lower(n: float, confidence: float) -> float:
    """Tango's lower limit with no discordant pair among n: -z^2 / (n + z^2)."""
    z = two_sided_z(confidence)
    return -z * z / (n + z * z)


# --- design effect of a clustered proportion -------------------------------------------------------

@dataclass(frozen=True)
class DesignEffect:
    value: float  # the design effect used (clamped, or the largest allowed)
    estimated: float | None  # Obuchowski's ratio-estimator variance / binomial variance (None: undefined)
    clusters: int  # clusters holding at least one frame in scope
    frames: int
    event_clusters: int  # clusters holding at least one event (e.g. a discordant frame)
    rule: str  # how the value was chosen, in words

    @property
    def mean_cluster_size(self) -> float:
        """Frames per cluster (0 without clusters)."""
        return self.frames / self.clusters if self.clusters else 0.0

    def effective(self, count: float) -> float:
        """A count divided by the design effect: what it is worth as independent frames."""
        return count / self.value if self.value > 0 else 0.0

    def to_dict(self) -> dict:
        """As the report stores it."""
        return {"design_effect": self.value, "estimated_design_effect": self.estimated, "clusters": self.clusters,
                "frames": self.frames, "event_clusters": self.event_clusters,
                "mean_frames_per_cluster": self.mean_cluster_size, "design_effect_rule": self.rule}


def ratio_estimator_variance(events: np.ndarray, sizes: np.ndarray) -> float | None:
    """Variance of p = sum(events) / sum(sizes) over K clusters (Obuchowski 1998):
    K / (K - 1) * sum((x_i - p m_i)^2) / (sum m_i)^2. None with fewer than two clusters."""
    x = np.asarray(events, dtype=np.float64)
    m = np.asarray(sizes, dtype=np.float64)
    k = m.size
    total = m.sum()
    if k < 2 or total <= 0:
        return None
    p = x.sum() / total
    return float(k / (k - 1.0) * np.sum((x - p * m) ** 2) / total ** 2)


def design_effect(events: np.ndarray, sizes: np.ndarray) -> DesignEffect:
    """The design effect of a clustered binary indicator, given per-cluster event counts and sizes
    (clusters of size 0 are ignored), clamped to [1, mean cluster size]."""
    x = np.asarray(events, dtype=np.float64)
    m = np.asarray(sizes, dtype=np.float64)
    keep = m > 0
    x, m = x[keep], m[keep]
    k, n = int(m.size), int(round(m.sum()))
    largest = max(1.0, n / k) if k else 1.0
    event_clusters = int(np.count_nonzero(x > 0))
    p = x.sum() / n if n else 0.0
    var = ratio_estimator_variance(x, m)
    estimated = None
    if var is not None and 0.0 < p < 1.0:
        estimated = var / (p * (1.0 - p) / n)
    if event_clusters < MIN_EVENT_CLUSTERS or estimated is None:
        return DesignEffect(largest, estimated, k, n, event_clusters,
                            f"fewer than {MIN_EVENT_CLUSTERS} clusters with an event: the largest design effect "
                            f"(mean frames per cluster), effective n = clusters")
    value = min(max(estimated, 1.0), largest)
    return DesignEffect(value, estimated, k, n, event_clusters,
                        "ratio-estimator variance / binomial variance, clamped to [1, mean frames per cluster]")


def cluster_counts(codes: np.ndarray, n_clusters: int, values: np.ndarray) -> np.ndarray:
    """Per-cluster sums of a per-frame quantity."""
    return np.bincount(np.asarray(codes, dtype=np.int64), weights=np.asarray(values, dtype=np.float64),
                       minlength=n_clusters)
