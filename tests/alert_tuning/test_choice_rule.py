"""The grid and the choice rule on score streams built by hand: what each policy does is known."""

import numpy as np
import pytest

from cleftedge.alert_tuning.grid import SINGLE_FRAME, Grid, Rule, choose, closest, pareto, sweep_grid
from cleftedge.alert_tuning.replay import evaluate, poisson_upper95
from cleftedge.alert_tuning.scoring import SweepScores
from cleftedge.alert_tuning.tune import tune
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig

FPS = 30.0


def sweep(scores, truth, frozen=None, name="s"):
    scores = np.asarray(scores, float)
    return SweepScores(name, name, FPS, np.asarray(truth, bool),
                       np.zeros(len(scores), bool) if frozen is None else np.asarray(frozen, bool),
                       np.zeros(0, np.uint64), {"m": scores})


SMALL = Grid(k=(1, 2, 3, 4, 5, 6), n=(4, 6, 8), clear_k=(0, 1), cooldown_frames=(0, 30), clear_fraction=(1.0, 0.5))


def normal_with_bursts(minutes=3, burst=3, every_s=20):
    """Normal scanning with a 3-frame run of high scores every 20 s (look-alikes come in runs)."""
    n = int(minutes * 60 * FPS)
    s = np.full(n, 0.1)
    for start in range(int(5 * FPS), n, int(every_s * FPS)):
        s[start:start + burst] = 0.9
    return sweep(s, np.zeros(n, bool), name="normal")


def cleft_passes(passes=6, pass_s=2.0, ramp=4):
    """Passes of 2 s: the score is high from the `ramp`-th frame of each pass on."""
    gap, length = int(2 * FPS), int(pass_s * FPS)
    s, t = [], []
    for _ in range(passes):
        s += [0.1] * gap + [0.1] * ramp + [0.9] * (length - ramp)
        t += [False] * gap + [True] * length
    return sweep(s, t, name="cleft")


def test_single_frame_policy_alerts_on_every_burst_the_rule_picks_a_voting_one():
    sweeps = [normal_with_bursts(), cleft_passes()]
    single = evaluate(sweeps, "m", SINGLE_FRAME, 0.5)
    # normal scanning: the 3 min normal sweep and the 6 gaps of 2 s between the passes
    assert single.false_alerts == 9 and single.false_per_hour == pytest.approx(9 / (192 / 3600))
    t = tune(sweeps, "m", 0.5, SMALL, Rule(max_false_per_hour=1.0, min_alerted=0.95, tolerance_s=0.0))
    c = t.chosen.config
    assert t.chosen.figures.false_alerts == 0 and t.chosen.figures.alerted == 6
    assert c.k == 4  # a burst is 3 frames: k=4 is the fastest that never raises on one
    # the fastest: 4 flagged frames after the ramp, alert on the 4th (frame 4 + 3 of the pass)
    assert t.chosen.figures.median_delay_s == pytest.approx((4 + 3) / FPS)
    assert all(p.figures.median_delay_s >= t.chosen.figures.median_delay_s
               for p in t.points if Rule().admits(p.figures))
    # within 0.1 s (3 frames) of the fastest, the policy needing the most flagged frames: k=6 of SMALL
    margin = tune(sweeps, "m", 0.5, SMALL, Rule(max_false_per_hour=1.0, min_alerted=0.95))
    assert margin.chosen.config.k == 6 and margin.chosen.figures.median_delay_s == pytest.approx((4 + 5) / FPS)


def test_the_rule_bounds_are_the_flags_and_no_policy_means_no_choice():
    sweeps = [normal_with_bursts(), cleft_passes()]
    loose = tune(sweeps, "m", 0.5, SMALL, Rule(max_false_per_hour=1000.0, min_alerted=0.95, tolerance_s=0.0))
    assert loose.chosen.config.k == 1  # false alerts allowed: the single-frame policy is fastest
    # passes shorter than any k: a grid of k >= 8 cannot alert on a pass where only 6 frames are high
    short = [normal_with_bursts(), cleft_passes(pass_s=1.0, ramp=24)]
    none = tune(short, "m", 0.5, Grid(k=(8,), n=(8, 10)), Rule())
    assert none.chosen is None and choose(none.points, Rule()) is None
    assert closest(none.points, Rule(), 1)[0].figures.alerted == 0


def test_hysteresis_clear_threshold_is_a_fraction_of_the_flag_threshold_never_the_flag_threshold():
    policies = Grid(clear_fraction=(1.0, 0.5)).policies(0.6)
    assert {p.clear_threshold for p in policies} == {None, 0.3}
    assert all(p.threshold is None for p in policies)  # the flag threshold is the spec's


def test_frozen_frames_do_not_vote_in_replay_as_on_the_cart():
    s = np.r_[np.full(30, 0.1), np.full(10, 0.9), np.full(30, 0.1)]
    frozen = np.zeros(70, bool)
    frozen[30:40] = True
    cfg = AlertConfig(k=3, n=4, clear_k=0, cooldown_frames=0)
    assert evaluate([sweep(s, np.zeros(70, bool))], "m", cfg, 0.5).false_alerts == 1
    assert evaluate([sweep(s, np.zeros(70, bool), frozen)], "m", cfg, 0.5).false_alerts == 0


def test_an_alert_just_after_a_pass_is_not_false_and_short_passes_are_apart():
    t = np.zeros(200, bool)
    t[50:60] = True  # a pass of 1/3 s: below the 1 s minimum
    s = np.full(200, 0.1)
    s[58:70] = 0.9  # raised at frame 60, just after the pass: late, not false
    cfg = AlertConfig(k=3, n=4, clear_k=0, cooldown_frames=0)
    f = evaluate([sweep(s, t)], "m", cfg, 0.5)
    assert f.false_alerts == 0 and f.passes == 0 and f.short_passes == 1 and f.short_alerted == 0
    s[54:58] = 0.9  # raised at frame 56, in the pass
    assert evaluate([sweep(s, t)], "m", cfg, 0.5).short_alerted == 1
    s[:] = 0.1
    s[150:160] = 0.9  # 3 s after the pass: false
    assert evaluate([sweep(s, t)], "m", cfg, 0.5).false_alerts == 1


def test_the_curve_is_monotone_and_the_upper_bound_is_poisson():
    points = sweep_grid([normal_with_bursts(), cleft_passes()], "m", 0.5, SMALL, Rule())
    front = pareto(points)
    fph = [p.figures.false_per_hour for p in front]
    share = [p.figures.alerted_share for p in front]
    assert fph == sorted(fph) and share == sorted(share)
    assert poisson_upper95(0) == pytest.approx(2.996, abs=1e-3)
    assert poisson_upper95(1) == pytest.approx(4.744, abs=1e-3)


def test_sweeps_without_a_pass_or_without_normal_scanning_are_refused():
    with pytest.raises(CleftEdgeError, match="no in-plane cleft pass"):
        tune([normal_with_bursts(1)], "m", 0.5, SMALL, Rule())
    with pytest.raises(CleftEdgeError, match="no normal scanning"):
        tune([sweep(np.full(60, 0.9), np.ones(60, bool))], "m", 0.5, SMALL, Rule())


@pytest.mark.parametrize("seed", range(6))
def test_fast_replay_is_exactly_the_runtime_policy_frame_by_frame(seed):
    # attack on the shortcut: random runs of high, middling and low scores, frozen stretches, every
    # kind of policy: the skipped frames must never change an alert
    from cleftedge.alert_tuning.replay import replay_spans
    from cleftedge.calibration.qa.alert_parity import alert_spans

    rng = np.random.default_rng(seed)
    levels = rng.choice([0.05, 0.35, 0.55, 0.95], size=500, p=[0.6, 0.15, 0.1, 0.15])
    scores = np.repeat(levels, rng.integers(4, 12, 500))[:2000] + rng.normal(0, 0.02, 2000).clip(-0.04, 0.04)
    frozen = np.repeat(rng.random(500) < 0.1, rng.integers(4, 12, 500))[:2000]
    for cfg in Grid(k=(1, 2, 4), n=(2, 4, 8), cooldown_frames=(0, 7, 30), clear_fraction=(1.0, 0.5)).policies(0.5):
        assert replay_spans(scores, frozen, cfg, 0.5, FPS) == alert_spans(scores, 0.5, FPS, cfg, frozen), cfg
