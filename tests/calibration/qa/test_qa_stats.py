"""Statistics of the QA gate against known values."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from cleftedge.calibration.qa.paired import Bootstrap, paired_figures
from cleftedge.calibration.qa.stats import Resampler, auc, cluster_codes, roc_curve


def _scores(n, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    pos = rng.random(n) < 0.4
    s = np.clip(rng.normal(0.35 + 0.3 * pos, 0.18), 0, 1)
    return pos, (s.round(2) if ties else s)


@pytest.mark.parametrize("ties", [False, True])
def test_auc_matches_sklearn(ties):
    pos, s = _scores(3000, ties=ties)
    assert auc(pos, s) == pytest.approx(roc_auc_score(pos, s), abs=1e-12)


def test_auc_undefined_without_both_classes():
    assert auc([True, True], [0.2, 0.9]) is None


def test_rates_match_confusion_counts():
    pos = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], bool)
    ref = np.array([.9, .8, .7, .2, .1, .1, .6, .2, .3, .1])
    f = paired_figures(pos, ref, ref, 0.5, 0.5, bootstrap=Bootstrap(resamples=200))
    assert f.ref["sensitivity"].value == pytest.approx(3 / 4)
    assert f.ref["specificity"].value == pytest.approx(5 / 6)
    assert f.ref["ppv"].value == pytest.approx(3 / 4)
    assert f.ref["npv"].value == pytest.approx(5 / 6)
    # the same model on both sides: every paired difference is exactly zero, agreement exactly one
    assert f.diff["sensitivity"].low == f.diff["sensitivity"].high == 0.0
    assert f.agreement.value == f.agreement.low == 1.0


def test_ci_covers_point_and_is_seeded():
    pos, s = _scores(2000, seed=3)
    a = paired_figures(pos, s, s + 0.01, 0.5, 0.5, bootstrap=Bootstrap(resamples=500, seed=7))
    b = paired_figures(pos, s, s + 0.01, 0.5, 0.5, bootstrap=Bootstrap(resamples=500, seed=7))
    c = paired_figures(pos, s, s + 0.01, 0.5, 0.5, bootstrap=Bootstrap(resamples=500, seed=8))
    for k, e in a.ref.items():
        assert e.low <= e.value <= e.high, k
        assert 0 < e.high - e.low < 0.1, k
    assert a.to_dict() == b.to_dict()
    assert a.ref["sensitivity"].low != c.ref["sensitivity"].low


def test_ci_width_shrinks_with_more_data():
    w = []
    for n in (500, 8000):
        pos, s = _scores(n, seed=1)
        e = paired_figures(pos, s, s, 0.5, 0.5, bootstrap=Bootstrap(resamples=500)).ref["sensitivity"]
        w.append(e.high - e.low)
    assert w[1] < w[0] / 2.5  # about 1/sqrt(16) = 1/4


def test_clustered_interval_is_wider_than_frame_level():
    # 200 cases of 20 near-identical frames: the information is in the cases, not the frames
    rng = np.random.default_rng(5)
    case_pos = rng.random(200) < 0.5
    case_score = np.clip(rng.normal(0.35 + 0.3 * case_pos, 0.2), 0, 1)
    pos = np.repeat(case_pos, 20)
    s = np.repeat(case_score, 20) + rng.normal(0, 0.01, 4000)
    cases = np.repeat(np.arange(200), 20).tolist()
    plain = paired_figures(pos, s, s, 0.5, 0.5, bootstrap=Bootstrap(resamples=500))
    clustered = paired_figures(pos, s, s, 0.5, 0.5, cases, bootstrap=Bootstrap(resamples=500))
    assert clustered.clustered and not plain.clustered
    for k in ("sensitivity", "specificity", "auc"):
        wc = clustered.ref[k].high - clustered.ref[k].low
        wp = plain.ref[k].high - plain.ref[k].low
        assert wc > 3 * wp, k  # sqrt(20) ~ 4.5 times wider


def test_paired_difference_detects_a_real_drop():
    pos, s = _scores(4000, seed=2)
    worse = s.copy()
    hit = np.flatnonzero(pos & (s >= 0.5))[:150]  # candidate misses 150 detected positives
    worse[hit] = 0.1
    f = paired_figures(pos, s, worse, 0.5, 0.5, bootstrap=Bootstrap(resamples=500))
    d = f.diff["sensitivity"]
    assert d.value == pytest.approx(-150 / pos.sum())
    assert d.high < 0  # the interval excludes zero
    assert f.diff["specificity"].value == 0.0
    assert f.auc_drop.value > 0 and f.auc_drop.low > 0


def test_resampler_draws_whole_clusters():
    codes, k = cluster_codes(["a", "a", "b", None, None], 5)
    assert k == 4 and codes[0] == codes[1] and codes[3] != codes[4]
    r = Resampler(codes, k, resamples=100, seed=1)
    blocks = list(r.chunks(size=30))
    assert [b.shape for b in blocks] == [(30, 4), (30, 4), (30, 4), (10, 4)]
    assert all((b.sum(axis=1) == k).all() for b in blocks)


def test_roc_curve_ends_and_is_monotone():
    pos, s = _scores(1000)
    pts = np.array(roc_curve(pos, s, max_points=10_000))
    assert tuple(pts[0]) == (0.0, 0.0) and tuple(pts[-1]) == (1.0, 1.0)
    assert (np.diff(pts[:, 0]) >= 0).all() and (np.diff(pts[:, 1]) >= 0).all()
    # trapezoid area = AUC
    assert np.trapezoid(pts[:, 1], pts[:, 0]) == pytest.approx(auc(pos, s), abs=1e-9)
