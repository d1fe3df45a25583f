"""`cleftedge qa-plan`: how many positive and negative clusters a locked QA set needs for a given
chance of passing the policy, before anyone collects it.

The model, the gate's own rules on it: K clusters per class of M frames each; a share r of frames
flips, every flip against the candidate (misses on positives, false alarms on negatives: the worst
direction); flips within a cluster correlate with intra-class correlation rho, so the design effect
is 1 + (M - 1) rho, clamped to [1, M] (rho = 1, the default, is the worst case: whole cases flip,
effective n = clusters). The effective number of flips D is binomial on the effective n; the set
passes a criterion when the gate's interval on (D, effective n) reaches the limit, with the gate's
rule that fewer than 5 flipped clusters take the largest design effect. The chance of passing is
the product over sensitivity, specificity and agreement (a lower bound: the three pass together
more often than independently, as all fall with more flips). The AUC criterion depends on the
scores, not on flips: it is not planned here."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from cleftedge.calibration.qa.intervals import MIN_EVENT_CLUSTERS, clopper_pearson, tango_lower

if TYPE_CHECKING:
    from cleftedge.calibration.qa.policy import Policy


MAX_CLUSTERS = 1_000_000


@dataclass(frozen=True)
class Assumptions:
    flip_rate: float = 0.0
    frames_per_case: float = 6.0
    icc: float = 1.0
    power: float = 0.8

    @property
    def design_effect(self) -> float:
        """The design effect 1 + (m - 1) * ICC for m frames per case, between 1 and m."""
        m = self.frames_per_case
        return min(max(1.0 + (m - 1.0) * self.icc, 1.0), m)


def _gate_counts(d: int, k: int, a: Assumptions) -> tuple[float, float]:
    """(effective flips, effective n) as the gate computes them for d effective flips among k
    clusters: fewer than MIN_EVENT_CLUSTERS flipped clusters take the largest design effect."""
    deff = a.design_effect
    if d < MIN_EVENT_CLUSTERS:
        return d * deff / a.frames_per_case, float(k)
    return float(d), k * a.frames_per_case / deff


def _binomial_pmf(d: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 1.0 if d == 0 else 0.0
    if p >= 1.0:
        return 1.0 if d == n else 0.0
    return math.exp(math.lgamma(n + 1) - math.lgamma(d + 1) - math.lgamma(n - d + 1) + d * math.log(p)
                    + (n - d) * math.log1p(-p))


def _chance(k: int, a: Assumptions, passes: Callable[[float, float], bool]) -> float:
    """P(the gate passes) with D ~ Binomial(effective n, flip rate). Below MIN_EVENT_CLUSTERS flips
    the gate is stricter (largest design effect), so each of those counts is judged on its own;
    from there on more flips never pass where fewer fail, and the last passing count is bisected."""
    n_eff = int(round(k * a.frames_per_case / a.design_effect))
    few = min(MIN_EVENT_CLUSTERS - 1, n_eff)
    total: float = sum(_binomial_pmf(d, n_eff, a.flip_rate) for d in range(few + 1) if passes(*_gate_counts(d, k, a)))
    lo = few + 1
    if lo > n_eff or not passes(*_gate_counts(lo, k, a)):
        return min(total, 1.0)
    hi = n_eff  # passes(lo) holds
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if passes(*_gate_counts(mid, k, a)):
            lo = mid
        else:
            hi = mid - 1
    total += sum(_binomial_pmf(d, n_eff, a.flip_rate) for d in range(few + 1, lo + 1))
    return min(total, 1.0)


def chance_difference(k: int, limit_pp: float, confidence: float, a: Assumptions) -> float:
    """Chance that k clusters pass a sensitivity (or specificity) difference limit."""
    def passes(losses: float, n: float) -> bool:
        return tango_lower(0.0, losses, n, confidence) * 100.0 >= limit_pp - 1e-9
    return _chance(k, a, passes)


def chance_agreement(k: int, limit: float, confidence: float, a: Assumptions) -> float:
    """Chance that k clusters pass the decision-agreement limit."""
    def passes(flips: float, n: float) -> bool:
        return clopper_pearson(n - flips, n, confidence)[0] >= limit - 1e-9
    return _chance(k, a, passes)


@dataclass(frozen=True)
class Plan:
    clusters: int  # positive clusters, and as many negative ones
    chance: float
    chance_sensitivity: float
    chance_specificity: float
    chance_agreement: float
    minimum_positive_clusters: int
    minimum_negative_clusters: int
    assumptions: Assumptions

    def to_dict(self) -> dict:
        """As `cleftedge qa-plan` prints it, with the frames per class the clusters amount to."""
        d = asdict(self)
        d["assumptions"] = {**asdict(self.assumptions), "design_effect": self.assumptions.design_effect}
        d["frames_per_class"] = int(math.ceil(self.clusters * self.assumptions.frames_per_case))
        return d


def _chances(k: int, policy: Policy, a: Assumptions) -> tuple[float, float, float]:
    c = policy.confidence
    return (chance_difference(k, policy.min_sensitivity_difference_pp, c, a),
            chance_difference(k, policy.min_specificity_difference_pp, c, a),
            chance_agreement(k, policy.min_agreement, c, a))


def plan(policy: Policy, a: Assumptions) -> Plan | None:
    """The smallest K (positive clusters = negative clusters = K) whose chance of passing reaches
    the power; None when no set up to MAX_CLUSTERS does (the flip rate alone breaks a limit)."""
    eff = policy.effective()
    min_pos, min_neg = eff.min_positive_clusters, eff.min_negative_clusters
    assert min_pos is not None and min_neg is not None  # effective() fills both in
    if a.flip_rate * 100.0 >= -max(eff.min_sensitivity_difference_pp, eff.min_specificity_difference_pp) or \
            1.0 - a.flip_rate <= eff.min_agreement:
        return None  # the expected flips alone reach a limit: no set size shows non-inferiority
    floor = max(min_pos, min_neg, eff.minimums()["cases"])

    def chance(k: int) -> float:
        s, p, g = _chances(k, eff, a)
        return s * p * g

    lo, hi = floor, floor
    while chance(hi) < a.power:  # grow, then bisect (the chance rises with K, give or take discreteness)
        lo, hi = hi, hi * 2
        if hi > MAX_CLUSTERS:
            return None
    while lo < hi:
        mid = (lo + hi) // 2
        if chance(mid) >= a.power:
            hi = mid
        else:
            lo = mid + 1
    s, p, g = _chances(hi, eff, a)
    return Plan(hi, s * p * g, s, p, g, min_pos, min_neg, a)
