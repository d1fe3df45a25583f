"""How many clusters a QA set needs before it can show non-inferiority at all.

A set whose candidate never flips a decision is the best evidence a set of its size can give. With
no discordant frame the design effect is the largest allowed (effective n = clusters), and
Tango's lower limit is -z^2 / (K + z^2): at -2 pp and 95 % that reaches the limit from K = 189
clusters on. Below that a set cannot pass even with a perfect candidate, so the verdict is
INCONCLUSIVE, never PASS. Decision agreement likewise: Clopper-Pearson's lower limit for K of K is
(alpha / 2) ** (1 / K), at 98 % reached from 183 clusters on."""

from __future__ import annotations

import math

from cleftedge.calibration.qa.intervals import two_sided_z

EPS = 1e-9


def zero_flip_minimum(limit_pp: float, confidence: float) -> int:
    """Smallest K with -z^2 / (K + z^2) >= limit (limit in percentage points, below 0)."""
    margin = -float(limit_pp) / 100.0
    if margin <= 0:
        raise ValueError("a non-inferiority limit must be below 0 pp")
    z2 = two_sided_z(confidence) ** 2
    k = max(1, math.ceil(z2 * (1.0 / margin - 1.0) - EPS))
    while k > 1 and -z2 / (k - 1 + z2) >= -margin - EPS:  # guard the float rounding of the ceiling
        k -= 1
    return k


def agreement_minimum(limit: float, confidence: float) -> int:
    """Smallest K with (alpha / 2) ** (1 / K) >= limit (the Clopper-Pearson lower limit of K of K)."""
    if not 0.0 <= limit < 1.0:
        raise ValueError("an agreement limit must be below 1")
    if limit <= 0.0:
        return 1
    alpha = 1.0 - confidence
    return max(1, math.ceil(math.log(alpha / 2.0) / math.log(limit) - EPS))
