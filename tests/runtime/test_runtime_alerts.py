import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy, load_alert_config
from cleftedge.runtime.frozen import FrozenDetector


def feed(policy, scores, frozen=()):
    out = []
    for i, s in enumerate(scores):
        for kind, alert in policy.update(i, i / 30, s, i in frozen):
            out.append((kind, i, alert))
    return out


def test_k_of_n_raises_and_isolated_flags_do_not():
    p = AlertPolicy(AlertConfig(k=3, n=5, clear_k=0, cooldown_frames=0), 0.5)
    assert feed(p, [0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1]) == []
    p = AlertPolicy(AlertConfig(k=3, n=5, clear_k=0, cooldown_frames=0), 0.5)
    events = feed(p, [0.9, 0.1, 0.9, 0.95, 0.1])
    assert [(k, i) for k, i, _ in events] == [("raised", 3)]


def test_hysteresis_peak_best_frame_and_cooldown():
    p = AlertPolicy(AlertConfig(k=3, n=4, clear_k=1, cooldown_frames=5), 0.5)
    scores = [0.9, 0.9, 0.9, 0.2, 0.99, 0.2, 0.2, 0.2, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    events = feed(p, scores)
    assert [(k, i) for k, i, _ in events][:2] == [("raised", 2), ("cleared", 6)]
    first = events[0][2]
    assert first.peak_score == 0.99 and first.best_frame == 4 and first.end_frame == 6
    # cooldown: 5 voting frames after the clear before a new alert can rise
    assert events[2][0] == "raised" and events[2][1] >= 12


def test_frozen_frames_do_not_vote():
    p = AlertPolicy(AlertConfig(k=3, n=3, clear_k=0, cooldown_frames=0), 0.5)
    assert feed(p, [0.9, 0.9, 0.9, 0.9], frozen={1, 2, 3}) == []


def test_frozen_detector_needs_identical_frames_in_a_row():
    import numpy as np

    d = FrozenDetector(min_run=2)
    a = np.random.default_rng(0).integers(0, 255, (120, 160), dtype=np.uint8)
    b = np.random.default_rng(1).integers(0, 255, (120, 160), dtype=np.uint8)
    assert [d.update(x) for x in (a, a, a, b, b)] == [False, False, True, False, False]


def test_policy_file(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[alerts]\nk = 4\nn = 6\nthreshold = 0.7\n")
    assert load_alert_config(f).k == 4
    f.write_text("[alerts]\nk = 9\nn = 6\n")
    with pytest.raises(CleftEdgeError, match="1 <= k <= n"):
        load_alert_config(f)
    f.write_text("[alerts]\nwindow = 6\n")
    with pytest.raises(CleftEdgeError, match="unknown key 'window'"):
        load_alert_config(f)


def test_clear_threshold_holds_an_alert_while_scores_stay_above_it():
    cfg = AlertConfig(k=3, n=4, clear_k=0, cooldown_frames=0, clear_threshold=0.3)
    scores = [0.9, 0.9, 0.9, 0.4, 0.4, 0.4, 0.4, 0.4, 0.1, 0.1, 0.1, 0.1]
    events = feed(AlertPolicy(cfg, 0.5), scores)
    assert [(k, i) for k, i, _ in events] == [("raised", 2), ("cleared", 11)]  # held through the 0.4s
    plain = feed(AlertPolicy(AlertConfig(k=3, n=4, clear_k=0, cooldown_frames=0), 0.5), scores)
    assert [(k, i) for k, i, _ in plain] == [("raised", 2), ("cleared", 6)]
    with pytest.raises(CleftEdgeError, match="above the threshold"):
        AlertPolicy(AlertConfig(clear_threshold=0.8), 0.5)
