"""Judging the QA policy: on the conservative confidence bound, borderline included."""

import numpy as np
import pytest

from cleftedge.calibration.qa.paired import PairedFigures, paired_figures
from cleftedge.calibration.qa.policy import Policy, judge, load_policy
from cleftedge.calibration.qa.stats import Estimate
from cleftedge.errors import CleftEdgeError


def _fig(sens_low=-0.01, spec_low=-0.01, drop_high=0.005, agree_low=0.99):
    f = PairedFigures(n=100, positives=40, clusters=100, clustered=False)
    f.diff["sensitivity"] = Estimate(0.0, sens_low, 0.01)
    f.diff["specificity"] = Estimate(0.0, spec_low, 0.01)
    f.auc_drop = Estimate(0.0, -0.002, drop_high)
    f.agreement = Estimate(0.995, agree_low, 1.0)
    return f


def test_defaults_pass_a_close_candidate():
    v = judge(_fig(), Policy())
    assert v.passed and not v.failed
    assert [c.name for c in v.criteria] == ["sensitivity", "specificity", "auc", "agreement"]


@pytest.mark.parametrize("kw,name", [
    ({"sens_low": -0.0201}, "sensitivity"),
    ({"spec_low": -0.025}, "specificity"),
    ({"drop_high": 0.0101}, "auc"),
    ({"agree_low": 0.9799}, "agreement"),
])
def test_each_criterion_fails_just_past_its_limit(kw, name):
    v = judge(_fig(**kw), Policy())
    assert not v.passed
    assert [c.name for c in v.failed] == [name]
    assert name in v.reasons()[0] and "FAILED" in v.reasons()[0]


def test_bound_exactly_on_the_limit_passes():
    # -2.0 pp computed in floating point is -2.0000000000000004: still on the limit
    v = judge(_fig(sens_low=0.1 - 0.12, spec_low=-0.02, drop_high=0.01, agree_low=0.98), Policy())
    assert v.passed, v.reasons()


def test_judged_on_the_bound_not_the_point_estimate():
    f = _fig()
    f.diff["sensitivity"] = Estimate(-0.001, -0.03, 0.028)  # point estimate fine, bound not
    v = judge(f, Policy())
    assert [c.name for c in v.failed] == ["sensitivity"]
    assert v.failed[0].estimate == pytest.approx(-0.1) and v.failed[0].bound == pytest.approx(-3.0)


def test_undefined_bound_fails():
    f = _fig()
    f.diff["sensitivity"] = Estimate(None, None, None, 200)
    assert [c.name for c in judge(f, Policy()).failed] == ["sensitivity"]


def test_small_set_fails_for_lack_of_evidence_though_identical_decisions_would_not():
    # 30 frames, a candidate that flips 1 positive: the interval is too wide to show non-inferiority
    rng = np.random.default_rng(0)
    pos = np.arange(30) < 12
    ref = np.where(pos, 0.8, 0.2) + rng.normal(0, 0.01, 30)
    cand = ref.copy()
    cand[0] = 0.3
    v = judge(paired_figures(pos, ref, cand, 0.5, 0.5, resamples=500), Policy())
    assert not v.passed and "sensitivity" in [c.name for c in v.failed]


def test_policy_file(tmp_path):
    p = tmp_path / "policy.toml"
    p.write_text("min_sensitivity_difference_pp = -1.5\nmin_agreement = 0.99\nresamples = 500\n")
    pol = load_policy(p)
    assert pol.min_sensitivity_difference_pp == -1.5 and pol.min_agreement == 0.99 and pol.resamples == 500
    assert pol.max_auc_drop == 0.01  # default kept
    assert not judge(_fig(sens_low=-0.016), pol).passed
    assert load_policy(None) == Policy()


@pytest.mark.parametrize("text,word", [
    ("min_agreemnt = 0.9\n", "unknown key 'min_agreemnt'"),
    ("min_agreement = 1.5\n", "'min_agreement' is 1.5"),
    ("resamples = 10.5\n", "'resamples'"),
    ("max_auc_drop = 'x'\n", "'max_auc_drop'"),
    ("min_agreement = \n", "not valid TOML"),
])
def test_bad_policy_file_is_one_clear_error(tmp_path, text, word):
    p = tmp_path / "policy.toml"
    p.write_text(text)
    with pytest.raises(CleftEdgeError) as e:
        load_policy(p)
    assert word in e.value.line()
