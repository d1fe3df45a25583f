import csv

import cv2
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cleftedge.runtime.preprocess import sector_mask
from cleftedge.simulator.dataset import generate
from cleftedge.simulator.labels import is_positive
from cleftedge.simulator.sweep import iter_sweep, write_sweep


def test_sweep_video_and_labels(tmp_path):
    video, labels = write_sweep(tmp_path / "s.mp4", seconds=2, cleft="unilateral", seed=5, progress=False)
    assert labels.name == "s.labels.csv"
    cap = cv2.VideoCapture(str(video))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    frames = 0
    while cap.read()[0]:
        frames += 1
    rows = list(csv.DictReader(open(labels)))
    assert frames == len(rows) == 60
    assert list(rows[0]) == ["frame", "in_plane", "cleft"]
    assert all(r["cleft"] == "0" or r["in_plane"] == "1" for r in rows)


def test_sweeps_pass_through_the_plane_and_normal_sweeps_have_no_cleft():
    frames = list(iter_sweep(12, "none", seed=2))
    in_plane = np.array([f.in_plane for f in frames])
    assert 0.2 < in_plane.mean() < 0.95 and not any(f.cleft for f in frames)
    assert (np.diff(in_plane.astype(int)) != 0).sum() >= 2  # enters and leaves the plane
    cleft = list(iter_sweep(12, "bilateral", seed=2))
    assert any(f.cleft for f in cleft) and all(f.in_plane for f in cleft if f.cleft)


def test_sweep_is_temporally_coherent():
    a, b = [f.image.astype(np.float32) for f in list(iter_sweep(1, "none", seed=9))[10:12]]
    other = next(iter(iter_sweep(1, "none", seed=10))).image.astype(np.float32)
    assert np.abs(a - b).mean() < 0.5 * np.abs(a - other).mean()


def _features(image):
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    outside = grey[sector_mask(image) == 0]
    overlay = [outside.mean(), outside.std(), (outside > 128).mean(), (outside > 200).mean()]
    hist = np.histogram(grey, bins=32, range=(0, 256))[0] / grey.size
    stats = [grey.mean(), grey.std(), *np.percentile(grey, [5, 25, 50, 75, 95, 99])]
    return np.array(overlay), hist, np.array(stats)


@pytest.mark.parametrize("difficulty", ["standard", "clinical"])
def test_no_shortcut_in_overlays_histogram_or_frame_statistics(difficulty):
    """A probe that sees only the overlays, the histogram or the frame statistics must not tell
    cleft from normal (AUC <= 0.6, cross-validated by case), at either difficulty."""
    feats, y, groups = [], [], []
    for frame, case, _ in generate(360, seed=77, difficulty=difficulty):
        if frame.label == "off_plane":
            continue
        feats.append(_features(frame.image))
        y.append(int(is_positive(frame.label)))
        groups.append(case)
    y = np.array(y)
    assert 0.3 < y.mean() < 0.7
    for k, name in enumerate(("overlays", "histogram", "statistics")):
        x = np.stack([f[k] for f in feats])
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
        p = cross_val_predict(model, x, y, groups=groups, cv=GroupKFold(5), method="predict_proba")[:, 1]
        auc = roc_auc_score(y, p)
        assert auc <= 0.6, f"{name} probe reaches AUC {auc:.2f}"
