"""One flag rule (a score at or above the threshold) for the runtime, the annotation, QA and the
reference metrics: a score exactly at the threshold is flagged everywhere, one just below nowhere."""

import numpy as np
import pytest

from cleftedge.calibration.qa.paired import decide
from cleftedge.reference.metrics import operating_point
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
from cleftedge.runtime.annotate import Annotator
from cleftedge.runtime.preprocess import Geometry
from cleftedge.runtime.scoring import flagged

T = 0.625  # exactly representable: "at" the threshold is exact
BELOW = np.nextafter(T, 0.0)


def test_the_rule_for_one_score_and_for_an_array():
    assert flagged(T, T) is True and flagged(BELOW, T) is False and flagged(np.float64(T), T) is True
    got = flagged(np.array([BELOW, T, 0.9]), T)
    assert got.dtype == bool and got.tolist() == [False, True, True]
    assert flagged([0.1, T], T).tolist() == [False, True]


def test_every_part_that_flags_agrees_at_the_threshold():
    policy = AlertPolicy(AlertConfig(threshold=T), 0.5)
    assert [policy.flag(s) for s in (BELOW, T)] == [False, True]
    assert decide(np.array([BELOW, T]), T).tolist() == [False, True]  # QA's paired decisions
    point = operating_point(np.array([1, 1, 0]), np.array([BELOW, T, 0.0]), T)  # the reference model's metrics
    assert point["sensitivity"] == 0.5 and point["specificity"] == 1.0
    annotator = Annotator((8, 8))
    image = np.full((8, 8, 3), 100, np.uint8)
    heat = np.ones((8, 8), np.float32)
    geometry = Geometry((0, 0, 8, 8), 1.0, 1.0, 0, 0)
    layers = [annotator.layers(image, s, T, heat, geometry) for s in (BELOW, T)]
    assert layers[0].heat is None and layers[1].heat is not None  # the heat map on flagged frames only


@pytest.mark.parametrize("score", [T, 0.7])
def test_the_policy_votes_with_the_same_rule(score):
    policy = AlertPolicy(AlertConfig(k=2, n=2, clear_k=0, cooldown_frames=0, threshold=T), 0.5)
    raised = [policy.update(i, float(i), score) for i in range(2)]
    assert raised[1] and raised[1][0][0] == "raised"
