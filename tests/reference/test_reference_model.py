"""The shipped reference weights, re-judged on frames drawn with a fresh seed through the exported
ONNX on onnxruntime: the published operating point and the heat map's aim."""

import json

import numpy as np
import pytest
import torch

from cleftedge.export.archs import REFERENCE_DIR
from cleftedge.reference.data import simulated_tensors
from cleftedge.reference.metrics import operating_point, report
from cleftedge.reference.model import CleftNet, parameter_count
from cleftedge.runtime.model import Model

FRESH_SEED = 424242  # never used by the training script


@pytest.fixture(scope="module")
def fresh(reference_onnx):
    model = Model.open(reference_onnx)
    data = simulated_tensors(model.spec, 800, FRESH_SEED)
    preds = [model.predict_tensors(data.x[i:i + 64]) for i in range(0, len(data.x), 64)]
    scores = np.concatenate([p.scores for p in preds])
    heat = np.concatenate([p.heatmaps for p in preds])
    return model.spec, data, scores, heat


def test_weights_are_small_and_load_weights_only():
    state = torch.load(REFERENCE_DIR / "reference.pt", weights_only=True)
    net = CleftNet()
    net.load_state_dict(state)
    assert parameter_count(net) <= 2_000_000


def test_metrics_file_meets_the_published_operating_point():
    m = json.loads((REFERENCE_DIR / "metrics.json").read_text())
    test = m["test"]["all"]
    assert test["frames"] >= 2000 and test["sensitivity"] >= 0.93 and test["specificity"] >= 0.95
    assert "subtle" in m["test"] and m["test"]["subtle"]["positives"] > 0
    assert 0 < m["threshold"] < 1


def test_fresh_frames_meet_sensitivity_and_specificity(fresh):
    spec, data, scores, _ = fresh
    op = operating_point(data.y, scores, spec.output.threshold)
    assert op["sensitivity"] >= 0.93, op
    assert op["specificity"] >= 0.95, op
    assert op["auc"] >= 0.98


def test_fresh_figures_agree_with_the_shipped_metrics_subtle_subset_included(fresh):
    """The metrics file is not a claim: fresh frames land within sampling error of it."""
    spec, data, scores, _ = fresh
    shipped = json.loads((REFERENCE_DIR / "metrics.json").read_text())["test"]
    fresh_report = report(data.y, scores, data.severity, data.labels, spec.output.threshold)
    for subset in ("all", "subtle"):
        got, want = fresh_report[subset], shipped[subset]
        assert got["positives"] >= 40, (subset, got)
        for key, n in (("sensitivity", got["positives"]), ("specificity", got["negatives"])):
            p = want[key]
            slack = 3 * max(np.sqrt(p * (1 - p) / n), 1 / n)  # three binomial standard errors
            assert got[key] >= p - slack, (subset, key, got[key], p)


def test_heat_map_peaks_on_the_lip_for_true_positives(fresh):
    spec, data, scores, heat = fresh
    tp = np.flatnonzero((data.y == 1) & (scores >= spec.output.threshold))
    assert len(tp) > 50
    fh, fw = heat.shape[1:]
    sx, sy = spec.input.width / fw, spec.input.height / fh
    hits = 0
    for i in tp:
        y, x = np.unravel_index(np.argmax(heat[i]), heat[i].shape)
        cx, cy = (x + 0.5) * sx, (y + 0.5) * sy  # the peak cell's centre in input pixels
        x0, y0, x1, y1 = data.lip_boxes[i]
        margin = max(sx, sy)  # one feature cell of slack
        hits += (x0 - margin <= cx <= x1 + margin) and (y0 - margin <= cy <= y1 + margin)
    assert hits / len(tp) >= 0.8, f"heat-map peak on the lip for {hits}/{len(tp)} true positives"
