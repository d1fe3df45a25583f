"""Judging the QA policy: on the more conservative of the analytic and the bootstrap bound,
borderline included; too few clusters is INCONCLUSIVE, never PASS."""

import numpy as np
import pytest

from cleftedge.calibration.qa.evidence import Evidence
from cleftedge.calibration.qa.intervals import tango_interval
from cleftedge.calibration.qa.paired import Bootstrap, PairedFigures, paired_figures
from cleftedge.calibration.qa.policy import Policy, load_policy
from cleftedge.calibration.qa.stats import Estimate
from cleftedge.calibration.qa.verdict import judge, judge_arrays
from cleftedge.errors import CleftEdgeError

NAMES = ["sensitivity_difference", "specificity_difference", "auc_drop", "agreement"]


def _fig(sens_low=-0.01, spec_low=-0.01, drop_high=0.005, agree_low=0.99, clusters=400, analytic=None):
    """Figures whose bootstrap and analytic intervals are the same unless `analytic` says otherwise."""
    f = PairedFigures(n=2400, positives=1200, clusters=clusters, clustered=True, positive_clusters=clusters,
                      negative_clusters=clusters)
    f.diff["sensitivity"] = Estimate(0.0, sens_low, 0.01)
    f.diff["specificity"] = Estimate(0.0, spec_low, 0.01)
    f.auc_drop = Estimate(0.0, -0.002, drop_high)
    f.agreement = Estimate(0.995, agree_low, 1.0)
    f.evidence = {"sensitivity_difference": Evidence("tango", 0.0, sens_low, 0.01),
                  "specificity_difference": Evidence("tango", 0.0, spec_low, 0.01),
                  "auc_drop": Evidence("obuchowski", 0.0, -0.002, drop_high),
                  "agreement": Evidence("clopper_pearson", 0.995, agree_low, 1.0)}
    for name, (lo, hi) in (analytic or {}).items():
        e = f.evidence[name]
        f.evidence[name] = Evidence(e.method, e.estimate, lo, hi)
    return f


def test_defaults_pass_a_close_candidate():
    v = judge(_fig(), Policy())
    assert v.passed and v.result == "pass" and not v.failed
    assert [c.name for c in v.criteria] == NAMES


@pytest.mark.parametrize("kw,name", [
    ({"sens_low": -0.0201}, "sensitivity_difference"),
    ({"spec_low": -0.025}, "specificity_difference"),
    ({"drop_high": 0.0101}, "auc_drop"),
    ({"agree_low": 0.9799}, "agreement"),
])
def test_each_criterion_fails_just_past_its_limit(kw, name):
    v = judge(_fig(**kw), Policy())
    assert v.result == "fail"
    assert [c.name for c in v.failed] == [name]
    assert "FAILED" in v.reasons()[0]


def test_bound_exactly_on_the_limit_passes():
    # -2.0 pp computed in floating point is -2.0000000000000004: still on the limit
    v = judge(_fig(sens_low=0.1 - 0.12, spec_low=-0.02, drop_high=0.01, agree_low=0.98), Policy())
    assert v.passed, v.reasons()


def test_judged_on_the_bound_not_the_point_estimate():
    f = _fig()
    f.diff["sensitivity"] = Estimate(-0.001, -0.03, 0.028)  # point estimate fine, bound not
    v = judge(f, Policy())
    assert [c.name for c in v.failed] == ["sensitivity_difference"]
    assert v.failed[0].bound == pytest.approx(-3.0) and v.failed[0].deciding_interval == "bootstrap"


@pytest.mark.parametrize("name,interval,method", [
    ("sensitivity_difference", (-0.025, 0.01), "tango"),
    ("agreement", (0.975, 1.0), "clopper_pearson"),
    ("auc_drop", (-0.002, 0.012), "obuchowski"),
])
def test_the_more_conservative_interval_decides(name, interval, method):
    # the bootstrap interval passes; the analytic one (respecting the clustering) does not
    v = judge(_fig(analytic={name: interval}), Policy())
    assert [c.name for c in v.failed] == [name] and v.failed[0].deciding_interval == method
    assert v.evidence["criteria"][name]["deciding_interval"] == method


def test_undefined_bound_fails():
    f = _fig()
    f.diff["sensitivity"] = Estimate(None, None, None, 200)
    assert [c.name for c in judge(f, Policy()).failed] == ["sensitivity_difference"]


def test_too_few_clusters_is_inconclusive_never_pass():
    v = judge(_fig(clusters=188), Policy())  # every bound fine, but 188 < 189 clusters
    assert v.result == "inconclusive" and not v.passed
    assert "188 positive clusters" in v.reasons()[0] and "189" in v.reasons()[0]
    assert judge(_fig(clusters=189), Policy()).passed


def test_shown_worse_is_fail_even_on_a_small_set():
    f = _fig(clusters=20, sens_low=-0.4, analytic={"sensitivity_difference": (-0.4, -0.1)})
    f.diff["sensitivity"] = Estimate(-0.25, -0.4, -0.1)
    assert judge(f, Policy()).result == "fail"  # even the favourable end is below -2 pp


def test_zero_flip_sets_pass_from_the_minimum_on_and_bootstrap_alone_would_have_passed_20_frames():
    # the attack of the issue: with no flip the bootstrap interval collapses to [0, 0]
    for k, expect in ((20, "inconclusive"), (188, "inconclusive"), (190, "pass")):
        cases = np.repeat(np.arange(2 * k), 3)
        pos = (cases % 2 == 0)
        s = np.where(pos, 0.9, 0.1)
        v = judge_arrays(pos, s, s, 0.5, 0.5, cases.tolist(), Policy(resamples=200))
        assert v.result == expect, (k, v.reasons())
        sens = next(c for c in v.criteria if c.name == "sensitivity_difference")
        assert sens.intervals["bootstrap"] == [0.0, 0.0] and sens.deciding_interval == "tango"
        assert sens.evidence["effective_n"] == pytest.approx(k)  # no flip: effective n = clusters


def test_small_set_fails_for_lack_of_evidence_though_identical_decisions_would_not():
    # 30 frames, a candidate that flips 1 positive: the interval is too wide to show non-inferiority
    rng = np.random.default_rng(0)
    pos = np.arange(30) < 12
    ref = np.where(pos, 0.8, 0.2) + rng.normal(0, 0.01, 30)
    cand = ref.copy()
    cand[0] = 0.3
    v = judge(paired_figures(pos, ref, cand, 0.5, 0.5, bootstrap=Bootstrap(resamples=500)), Policy())
    assert not v.passed and "sensitivity_difference" in [c.name for c in v.failed]


def test_policy_file(tmp_path):
    p = tmp_path / "policy.toml"
    p.write_text("min_sensitivity_difference_pp = -1.5\nmin_agreement = 0.99\nresamples = 500\n")
    pol = load_policy(p)
    assert pol.min_sensitivity_difference_pp == -1.5 and pol.min_agreement == 0.99 and pol.resamples == 500
    assert pol.max_auc_drop == 0.01  # default kept
    assert not judge(_fig(sens_low=-0.016, clusters=1000), pol).passed
    assert load_policy(None) == Policy()
    k = pol.to_dict()["min_positive_clusters"]  # derived from -1.5 pp: the zero-flip Tango limit reaches it at k
    assert tango_interval(0, 0, k, 0.95)[0] >= -0.015 > tango_interval(0, 0, k - 1, 0.95)[0] and k == 253
    assert Policy().to_dict()["min_positive_clusters"] == 189


def test_policy_sha256_is_of_the_canonical_effective_policy():
    import hashlib
    import json

    text = json.dumps(Policy().to_dict(), sort_keys=True, separators=(",", ":"))
    assert Policy().sha256() == hashlib.sha256(text.encode()).hexdigest()
    assert Policy(min_positive_clusters=189).sha256() == Policy().sha256()  # the same effective policy
    assert Policy(seed=1).sha256() != Policy().sha256()


@pytest.mark.parametrize("text,word", [
    ("min_agreemnt = 0.9\n", "unknown key 'min_agreemnt'"),
    ("min_agreement = 1.5\n", "'min_agreement' is 1.5"),
    ("min_agreement = 1.0\n", "'min_agreement' is 1.0"),
    ("min_sensitivity_difference_pp = 0\n", "'min_sensitivity_difference_pp' is 0.0"),
    ("resamples = 10.5\n", "'resamples'"),
    ("max_auc_drop = 'x'\n", "'max_auc_drop'"),
    ("min_agreement = \n", "not valid TOML"),
    ("min_positive_clusters = 50\n", "below the 189 positive clusters"),
])
def test_bad_policy_file_is_one_clear_error(tmp_path, text, word):
    p = tmp_path / "policy.toml"
    p.write_text(text)
    with pytest.raises(CleftEdgeError) as e:
        load_policy(p)
    assert word in e.value.line()


def _sites_set(k_a: int, k_b: int, flip_b: int = 0):
    """Cases at two sites (one positive and one negative frame each, 3 frames in all); site B's first
    `flip_b` cases lose their cleft frames in the candidate."""
    rows = []
    for site, k in (("A", k_a), ("B", k_b)):
        for c in range(k):
            for f in range(3):
                rows.append((f"{site}{c}", site, f < 2))
    cases = [r[0] for r in rows]
    sites = [r[1] for r in rows]
    pos = np.array([r[2] for r in rows])
    ref = np.where(pos, 0.9, 0.1)
    cand = ref.copy()
    for i, (case, site, p) in enumerate(rows):
        if site == "B" and p and int(case[1:]) < flip_b:
            cand[i] = 0.2
    return pos, ref, cand, cases, sites


def _judge_with_sites(policy, k_a, k_b, flip_b=0):
    from cleftedge.calibration.qa.assemble import judged_figures
    from cleftedge.calibration.qa.compare import ScoredSet

    pos, ref, cand, cases, sites = _sites_set(k_a, k_b, flip_b)
    n = pos.size
    data = ScoredSet([f"f{i}" for i in range(n)], ["x"] * n, pos, cases, sites, np.where(pos, 0.5, 0.0), ref, cand)
    return judged_figures(data, 0.5, 0.5, policy)[1]


def test_site_limits_gate_each_site_and_a_small_site_is_inconclusive():
    ungated = _judge_with_sites(Policy(resamples=200), 300, 40)
    assert ungated["result"] == "pass"  # 40 cases at site B are not judged on their own by default
    gated = Policy(resamples=200, min_site_sensitivity_difference_pp=-5.0)
    v = _judge_with_sites(gated, 300, 40)  # site B: 40 positive clusters, 73 needed at -5 pp
    assert v["result"] == "inconclusive" and any("site B has 40 positive clusters" in r for r in v["reasons"])
    assert "site[B].sensitivity_difference" in {c["name"] for c in v["criteria"]}
    v = _judge_with_sites(gated, 300, 300)
    assert v["result"] == "pass"
    v = _judge_with_sites(gated, 300, 300, flip_b=40)  # site B loses 40 of its 300 clefts
    assert v["result"] == "fail" and "site[B].sensitivity_difference" in {c["name"] for c in v["criteria"]
                                                                          if not c["passed"]}


def test_the_reference_floor_catches_an_absurd_set():
    # every frame of the set is scored as blank by both models: perfect agreement, 0 % sensitivity
    cases = np.repeat(np.arange(400), 4)
    pos = cases % 2 == 0
    s = np.full(cases.size, 0.1)
    assert judge_arrays(pos, s, s, 0.5, 0.5, cases.tolist(), Policy(resamples=200)).result == "pass"
    floor = Policy(resamples=200, min_reference_sensitivity=0.8, min_reference_specificity=0.8)
    v = judge_arrays(pos, s, s, 0.5, 0.5, cases.tolist(), floor)
    assert v.result == "fail" and [c.name for c in v.failed] == ["reference_sensitivity"]
