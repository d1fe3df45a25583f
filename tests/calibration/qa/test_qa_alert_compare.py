"""Comparing two alert timelines against the labelled cleft episodes of a sweep."""

import numpy as np
import pytest

from cleftedge.calibration.qa.alert_parity import compare_sweep, episodes, first_alert, read_truth
from cleftedge.errors import CleftEdgeError


def test_episodes_and_first_alert():
    truth = np.array([0, 1, 1, 1, 0, 0, 1, 1, 0], bool)
    assert episodes(truth) == [(1, 3), (6, 7)]
    assert first_alert([(2, 5)], (1, 3)) == 2
    assert first_alert([(0, 2)], (1, 3)) == 1  # already active when the episode starts
    assert first_alert([(5, 5)], (1, 3)) is None


def test_missed_added_and_time_to_alert():
    truth = np.zeros(200, bool)
    truth[30:90] = True
    truth[140:180] = True
    ref = [(40, 95), (150, 185)]
    cand = [(46, 95), (10, 12)]  # 6 frames later on the first, misses the second, adds one
    r = compare_sweep("s.mp4", ref, cand, truth, fps=30.0)
    assert (r["missed"], r["added"]) == (1, 1)
    assert r["missed_spans"] == [(150, 185)] and r["added_spans"] == [(10, 12)]
    e1, e2 = r["episodes"]
    assert e1["reference_time_to_alert_s"] == pytest.approx(10 / 30)
    assert e1["difference_s"] == pytest.approx(6 / 30)
    assert e2["candidate_time_to_alert_s"] is None and e2["difference_s"] is None
    assert r["time_to_alert_diff_s"] == pytest.approx(0.2)


def test_read_truth(tmp_path):
    p = tmp_path / "s.labels.csv"
    p.write_text("frame,in_plane,cleft\n0,1,0\n1,1,1\n2,0,1\n3,true,true\n")
    assert read_truth(p).tolist() == [False, True, False, True]
    p.write_text("frame,plane\n0,1\n")
    with pytest.raises(CleftEdgeError, match="frame,in_plane,cleft"):
        read_truth(p)
