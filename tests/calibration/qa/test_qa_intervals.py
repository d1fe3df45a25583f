"""The interval code against worked examples: a published value for Tango's score interval and
independent, slow, formula-by-formula implementations (and scipy) on the same data for the rest."""

import math

import numpy as np
import pytest
from scipy import optimize, stats

from cleftedge.calibration.qa.auc_clustered import clustered_auc
from cleftedge.calibration.qa.evidence import paired_rate, proportion
from cleftedge.calibration.qa.intervals import (
    MIN_EVENT_CLUSTERS,
    beta_cdf,
    clopper_pearson,
    design_effect,
    ratio_estimator_variance,
    tango_interval,
    zero_flip_lower,
)
from cleftedge.calibration.qa.minimums import agreement_minimum, zero_flip_minimum

# --- Tango (1998) --------------------------------------------------------------------------------

def test_tango_published_example():
    # Cavo et al. (2012), complete response before and after consolidation therapy: n11=59, n12=6,
    # n21=16, n22=80. Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables
    # (2017), ch. 8: Tango asymptotic score CI -0.0621 (-0.1240 to -0.0054).
    lo, hi = tango_interval(6, 16, 161, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (-0.1240, -0.0054)


def _slow_tango(b, c, n, confidence):
    """Formula by formula: the constrained MLE of p21 by maximising the multinomial likelihood
    numerically (no closed form), the score statistic, and the limits by Brent's method."""
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    rest = n - b - c

    def p21_mle(delta):
        lo, hi = max(0.0, -delta) + 1e-12, (1 - delta) / 2 - 1e-12  # keep every cell probability positive

        def nll(q):
            return -(b * math.log(q + delta) + c * math.log(q) + rest * math.log(1 - 2 * q - delta))
        if hi <= lo:
            return lo
        return optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                        options={"xatol": 1e-13}).x

    def score(delta):
        q = p21_mle(delta)
        return (b - c - n * delta) / math.sqrt(n * (2 * q + delta * (1 - delta)))

    est = (b - c) / n
    lower = optimize.brentq(lambda d: score(d) - z, -1 + 1e-9, est, xtol=1e-12)
    upper = optimize.brentq(lambda d: score(d) + z, est, 1 - 1e-9, xtol=1e-12)
    return lower, upper


@pytest.mark.parametrize("b,c,n", [(6, 16, 161), (1, 7, 21), (3, 0, 50), (2.5, 4.25, 97.3), (12, 11, 400),
                                   (0.4, 1.7, 30.2)])
def test_tango_matches_an_independent_implementation(b, c, n):
    ours = tango_interval(b, c, n, 0.95)
    slow = _slow_tango(b, c, n, 0.95)
    assert ours == pytest.approx(slow, abs=2e-6)


def test_tango_with_no_discordant_pair_is_the_closed_form():
    for n in (10, 189, 1000.5):
        lo, hi = tango_interval(0, 0, n, 0.95)
        assert lo == pytest.approx(zero_flip_lower(n, 0.95), abs=1e-10) and hi == pytest.approx(-lo, abs=1e-10)


def test_minimums_are_the_first_sizes_a_zero_flip_set_passes():
    assert zero_flip_minimum(-2.0, 0.95) == 189  # the "about 189 positive and 189 negative clusters"
    assert tango_interval(0, 0, 189, 0.95)[0] >= -0.02 > tango_interval(0, 0, 188, 0.95)[0]
    assert agreement_minimum(0.98, 0.95) == 183
    assert clopper_pearson(183, 183, 0.95)[0] >= 0.98 > clopper_pearson(182, 182, 0.95)[0]


# --- Clopper-Pearson on real-valued (effective) counts ----------------------------------------------

@pytest.mark.parametrize("x,n", [(0, 10), (10, 10), (7.5, 20.3), (183, 183), (1, 2.5), (4500.2, 4600.9)])
def test_clopper_pearson_matches_scipy(x, n):
    lo, hi = clopper_pearson(x, n, 0.95)
    want_lo = 0.0 if x == 0 else stats.beta.ppf(0.025, x, n - x + 1)
    want_hi = 1.0 if x == n else stats.beta.ppf(0.975, x + 1, n - x)
    assert lo == pytest.approx(want_lo, abs=1e-10) and hi == pytest.approx(want_hi, abs=1e-10)


def test_beta_cdf_matches_scipy():
    for x, a, b in ((0.3, 2.0, 5.0), (0.999, 400.0, 1.0), (0.02, 0.5, 0.7), (0.6, 1500.5, 900.25)):
        assert beta_cdf(x, a, b) == pytest.approx(stats.beta.cdf(x, a, b), abs=1e-11)


# --- Obuchowski (1998): ratio-estimator variance and the design effect ----------------------------

def _slow_ratio_variance(events, sizes):
    """Obuchowski 1998: var(p) = 1 / (K (K-1)) * sum(((x_i - m_i p) / m_bar)^2), cluster by cluster."""
    k = len(sizes)
    p = sum(events) / sum(sizes)
    m_bar = sum(sizes) / k
    total = 0.0
    for x, m in zip(events, sizes, strict=True):
        total += ((x - m * p) / m_bar) ** 2
    return total / (k * (k - 1))


def test_ratio_estimator_variance_matches_the_paper_formula():
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 9, 60)
    events = np.array([rng.binomial(m, 0.2) for m in sizes])
    assert ratio_estimator_variance(events, sizes) == pytest.approx(_slow_ratio_variance(events, sizes), rel=1e-12)


def test_design_effect_of_whole_clusters_is_their_size_and_of_independent_frames_about_one():
    rng = np.random.default_rng(1)
    k, m = 300, 6
    whole = rng.random(k) < 0.1  # every frame of a cluster flips together (ICC 1)
    d = design_effect(whole * m, np.full(k, m))
    assert d.value == pytest.approx(m) and d.estimated == pytest.approx(k * m / (k - 1))  # clamped to m
    independent = rng.binomial(m, 0.1, k)
    d = design_effect(independent, np.full(k, m))
    assert 0.7 < d.estimated < 1.4 and 1.0 <= d.value < 1.4


def test_fewer_than_five_event_clusters_take_the_largest_design_effect():
    sizes = np.full(200, 5)
    events = np.zeros(200)
    events[: MIN_EVENT_CLUSTERS - 1] = 1
    d = design_effect(events, sizes)
    assert d.value == 5.0 and d.effective(1000) == pytest.approx(200)  # effective n = clusters
    events[MIN_EVENT_CLUSTERS - 1] = 1
    assert design_effect(events, sizes).value < 5.0


def test_paired_rate_uses_rao_scott_effective_counts():
    # 100 clusters of 4 positives; the candidate loses whole clusters 0-9 (40 frames)
    codes = np.repeat(np.arange(100), 4)
    ref = np.ones(400, bool)
    cand = ~(codes < 10)
    e = paired_rate(ref, cand, codes, 100, 0.95)
    assert e.design.value == pytest.approx(4.0)  # whole clusters: the largest design effect
    assert (e.low, e.high) == pytest.approx(tango_interval(0, 40 / 4, 400 / 4, 0.95))
    assert e.estimate == pytest.approx(-0.1) and e.effective_n == pytest.approx(100)


def test_agreement_is_clopper_pearson_on_the_korn_graubard_effective_n():
    codes = np.repeat(np.arange(50), 6)
    same = np.ones(300, bool)
    same[codes < 7] = False  # 7 whole clusters disagree
    e = proportion(same, codes, 50, 0.95)
    assert e.design.value == pytest.approx(6.0) and e.effective_n == pytest.approx(50)
    assert (e.low, e.high) == pytest.approx(clopper_pearson(43, 50, 0.95))


# --- Obuchowski (1997): clustered AUC -------------------------------------------------------------

def _psi(x, y):
    return 1.0 if x > y else 0.5 if x == y else 0.0


def _slow_obuchowski(positive, s1, s2, clusters):
    """Obuchowski 1997, eqs. for S10, S01, S11 and the covariance of two AUCs, unit by unit."""
    ids = sorted(set(clusters))
    pos_idx = [i for i in range(len(positive)) if positive[i]]
    neg_idx = [i for i in range(len(positive)) if not positive[i]]
    big_m, big_n = len(pos_idx), len(neg_idx)

    def parts(s):
        auc = sum(_psi(s[i], s[j]) for i in pos_idx for j in neg_idx) / (big_m * big_n)
        x, y, m, n = {}, {}, {}, {}
        for c in ids:
            xs = [i for i in pos_idx if clusters[i] == c]
            ys = [j for j in neg_idx if clusters[j] == c]
            m[c], n[c] = len(xs), len(ys)
            x[c] = sum(sum(_psi(s[i], s[j]) for j in neg_idx) / big_n for i in xs)
            y[c] = sum(sum(_psi(s[i], s[j]) for i in pos_idx) / big_m for j in ys)
        return auc, x, y, m, n

    a1, x1, y1, m, n = parts(s1)
    a2, x2, y2, _, _ = parts(s2)
    i10 = sum(1 for c in ids if m[c] > 0)
    i01 = sum(1 for c in ids if n[c] > 0)
    i_all = len(ids)

    def cov(a, xa, ya, b, xb, yb):
        s10 = i10 / ((i10 - 1) * big_m) * sum((xa[c] - m[c] * a) * (xb[c] - m[c] * b) for c in ids)
        s01 = i01 / ((i01 - 1) * big_n) * sum((ya[c] - n[c] * a) * (yb[c] - n[c] * b) for c in ids)
        s11 = i_all / (i_all - 1) * sum((xa[c] - m[c] * a) * (yb[c] - n[c] * b) for c in ids)
        s11r = i_all / (i_all - 1) * sum((xb[c] - m[c] * b) * (ya[c] - n[c] * a) for c in ids)
        return s10 / big_m + s01 / big_n + (s11 + s11r) / (big_m * big_n)

    return a1, a2, cov(a1, x1, y1, a1, x1, y1), cov(a2, x2, y2, a2, x2, y2), cov(a1, x1, y1, a2, x2, y2)


def test_clustered_auc_matches_the_paper_formulas_unit_by_unit():
    rng = np.random.default_rng(7)
    clusters = np.repeat(np.arange(40), rng.integers(1, 6, 40))
    n = clusters.size
    positive = rng.random(n) < 0.45
    s1 = np.round(np.clip(0.4 * positive + rng.normal(0.3, 0.2, n), 0, 1), 2)  # ties included
    s2 = np.round(np.clip(s1 + rng.normal(0, 0.05, n), 0, 1), 2)
    got = clustered_auc(positive, s1, s2, clusters, 40)
    a1, a2, v1, v2, c12 = _slow_obuchowski(positive.tolist(), s1.tolist(), s2.tolist(), clusters.tolist())
    assert (got.reference, got.candidate) == pytest.approx((a1, a2), abs=1e-12)
    assert (got.var_reference, got.var_candidate, got.covariance) == pytest.approx((v1, v2, c12), rel=1e-9)


def test_copies_inside_a_cluster_add_no_evidence():
    # every frame copied 5 times inside its own cluster: the same AUC variance as the frames alone
    rng = np.random.default_rng(3)
    n = 120
    positive = rng.random(n) < 0.5
    s1 = np.clip(0.3 * positive + rng.normal(0.35, 0.2, n), 0, 1)
    s2 = np.clip(s1 + rng.normal(0, 0.03, n), 0, 1)
    alone = clustered_auc(positive, s1, s2, np.arange(n), n)
    rep = np.repeat(np.arange(n), 5)
    copied = clustered_auc(positive[rep], s1[rep], s2[rep], rep, n)
    assert copied.var_drop == pytest.approx(alone.var_drop, rel=1e-9)
    as_if_independent = clustered_auc(positive[rep], s1[rep], s2[rep], np.arange(5 * n), 5 * n)
    assert as_if_independent.var_drop < alone.var_drop / 4  # what frame-level statistics would claim
