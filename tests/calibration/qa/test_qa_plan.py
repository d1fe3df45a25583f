"""cleftedge qa-plan: the sizes it names are what the gate itself needs."""

import json

import numpy as np
import pytest

from cleftedge.calibration.qa.plan import Assumptions, plan
from cleftedge.calibration.qa.policy import Policy
from cleftedge.calibration.qa.verdict import judge_arrays
from cleftedge.cli import main

FAST = Policy(resamples=200)


def _set(k, m, flipped_cases, rng):
    """k positive and k negative cases of m frames; whole cases flip (ICC 1), against the candidate."""
    cases = np.repeat(np.arange(2 * k), m)
    pos = cases < k
    ref = np.where(pos, 0.9, 0.1) + rng.normal(0, 0.01, cases.size)
    cand = ref.copy()
    for c in flipped_cases:
        cand[cases == c] = 1.0 - ref[cases == c]
    return pos, ref, cand, cases.tolist()


def test_zero_flip_plan_is_the_minimum_and_the_gate_agrees():
    p = plan(Policy(), Assumptions())
    assert p.clusters == 189 and p.chance == 1.0
    rng = np.random.default_rng(0)
    for k, result in ((189, "pass"), (188, "inconclusive")):
        pos, ref, cand, cases = _set(k, 6, [], rng)
        assert judge_arrays(pos, ref, cand, 0.5, 0.5, cases, FAST).result == result


def test_the_planned_size_passes_about_as_often_as_promised():
    a = Assumptions(flip_rate=0.002, frames_per_case=4)
    p = plan(Policy(), a)
    assert p.clusters > 189 and p.chance >= 0.8
    rng = np.random.default_rng(5)

    def pass_rate(k: int, draws: int = 30) -> float:
        passed = 0
        for _ in range(draws):
            flipped = np.flatnonzero(rng.random(2 * k) < a.flip_rate)  # whole cases flip, as ICC 1 says
            pos, ref, cand, cases = _set(k, 4, flipped, rng)
            passed += judge_arrays(pos, ref, cand, 0.5, 0.5, cases, FAST).passed
        return passed / draws

    assert pass_rate(p.clusters) >= p.chance - 0.2


def test_qa_plan_command(capsys, tmp_path):
    assert main(["qa-plan", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["clusters"] == 189 and doc["minimum_positive_clusters"] == 189 and doc["policy_sha256"]
    pol = tmp_path / "policy.toml"
    pol.write_text("min_sensitivity_difference_pp = -5.0\nmin_specificity_difference_pp = -5.0\n")
    assert main(["qa-plan", "--policy", str(pol), "--expected-flip-rate", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "minimum: 73 positive and 73 negative clusters" in out and "to pass with a chance of 80 %" in out


@pytest.mark.parametrize("argv,word", [
    (["--expected-flip-rate", "0.05"], "no QA set of any size passes"),
    (["--icc", "1.5"], "--icc 1.5"),
    (["--frames-per-case", "0"], "--frames-per-case 0"),
])
def test_qa_plan_refuses_with_one_line(capsys, argv, word):
    assert main(["qa-plan", *argv]) == 1
    err = capsys.readouterr().err
    assert word in err and err.count("\n") == 1
