"""Flips, score differences, per-label/site/case tables, threshold re-tuning, reference scores."""

import json

import numpy as np
import pytest

from cleftedge.calibration.qa.compare import (
    ScoredSet,
    band_groups,
    case_summary,
    flip_summary,
    flips,
    group_table,
    label_groups,
    score_differences,
    site_groups,
)
from cleftedge.calibration.qa.policy import Policy
from cleftedge.calibration.qa.refscores import load_reference_scores, save_reference_scores
from cleftedge.calibration.qa.retune import retune_threshold, write_spec_patch
from cleftedge.errors import CleftEdgeError
from cleftedge.toml import loads

POLICY = Policy(resamples=300)


def _set():
    labels = ["normal", "unilateral_left", "unilateral_right", "bilateral", "off_plane", "unilateral_left"]
    pos = np.array([0, 1, 1, 1, 0, 1], bool)
    sev = np.array([0, 0.2, 0.5, 0.9, 0, 0.3])
    ref = np.array([0.1, 0.6, 0.9, 0.95, 0.2, 0.55])
    cand = np.array([0.1, 0.4, 0.9, 0.97, 0.6, 0.56])  # frame 1 lost, frame 4 gained
    return ScoredSet([f"f{i}" for i in range(6)], labels, pos, ["c1", "c1", "c2", "c2", "c3", "c3"],
                     ["A", "A", "B", "B", "A", None], sev, ref, cand)


def test_flips_list_and_summary():
    d = _set()
    f = flips(d, 0.5, 0.5)
    assert [x["key"] for x in f] == ["f4", "f1"]  # largest score change first
    assert f[0]["change"] == "candidate adds" and f[1]["change"] == "candidate misses"
    assert flip_summary(d, 0.5, 0.5) == {"count": 2, "rate": 2 / 6, "candidate_misses": 1, "candidate_adds": 1}


def test_score_differences():
    d = _set()
    s = score_differences(d.ref, d.cand)
    diffs = d.cand - d.ref
    assert s["mean"] == pytest.approx(diffs.mean())
    assert s["max_abs"] == pytest.approx(0.4)
    assert s["p99_abs"] == pytest.approx(np.percentile(np.abs(diffs), 99))


def test_label_groups_with_severity_bands():
    g = {**label_groups(_set()), **band_groups(_set())}
    assert g["unilateral"].tolist() == [False, True, True, False, False, True]
    assert g["off_plane"].tolist() == [False, False, False, False, True, False]
    assert g["severity subtle [0, 0.35)"].tolist() == [False, True, False, False, False, True]
    assert g["severity obvious [0.7, 1]"].tolist() == [False, False, False, True, False, False]


def test_site_table_rows():
    d = _set()
    rows = group_table(d, site_groups(d), 0.5, 0.5, POLICY)
    by = {r["group"]: r for r in rows}
    assert set(by) == {"A", "B", "(no site)"}
    assert by["A"]["frames"] == 3 and by["A"]["flips"]["count"] == 2
    assert by["B"]["reference"]["sensitivity"]["value"] == 1.0
    assert by["B"]["reference"]["specificity"]["value"] is None  # no negatives at site B


def test_case_level_flags_a_case_when_any_frame_is():
    s = case_summary(_set(), 0.5, 0.5, POLICY)
    assert s["frames"] == 3 and s["positives"] == 3
    # c1 stays flagged through f0? no: f1 drops (0.4) but no other c1 frame is flagged -> case lost
    # c3 (off-plane f4 gained, f5 0.56 flagged either way) stays flagged: no case flip there
    assert [c["key"] for c in s["flipped_cases"]] == ["c1"]
    assert s["reference"]["sensitivity"]["value"] == 1.0
    assert s["candidate"]["sensitivity"]["value"] == pytest.approx(2 / 3)


def test_retune_restores_reference_sensitivity(tmp_path):
    rng = np.random.default_rng(4)
    pos = rng.random(3000) < 0.4
    ref = np.clip(rng.normal(0.3 + 0.4 * pos, 0.15), 0, 1)
    cand = ref - 0.05  # a candidate whose scores sit lower: fewer frames reach 0.5
    r = retune_threshold(pos, ref, cand, 0.5)
    v = r["validation"]
    assert v["candidate_fixed"]["sensitivity"] < v["reference"]["sensitivity"]
    assert v["candidate_retuned"]["sensitivity"] >= v["reference"]["sensitivity"]
    assert r["threshold"] == pytest.approx(0.45, abs=0.01) and r["changed"]
    # the highest threshold that does it: one notch higher loses sensitivity
    kept = np.sort(cand[pos])[::-1]
    need = int(np.ceil(r["target_sensitivity"] * pos.sum() - 1e-9))
    assert (cand[pos] >= r["threshold"]).sum() == need or kept[need] == kept[need - 1]
    write_spec_patch(tmp_path / "spec-patch.toml", r["threshold"], "test")
    assert loads((tmp_path / "spec-patch.toml").read_text())["output"]["threshold"] == r["threshold"]


def test_reference_scores_bound_to_model_and_data(tmp_path):
    f = tmp_path / "ref.json"
    save_reference_scores(f, "a" * 64, "d" * 64, ["x", "y"], np.array([0.25, 0.75]), 0.5, {"backend": "ort"})
    with pytest.raises(CleftEdgeError, match="are not signed"):
        load_reference_scores(f, "a" * 64, "d" * 64)
    got = load_reference_scores(f, "a" * 64, "d" * 64, allow_unsigned=True)
    assert got.lookup(["y", "x"], "f").tolist() == [0.75, 0.25] and got.signature["status"] == "unsigned_allowed"
    with pytest.raises(CleftEdgeError, match="reference model"):
        load_reference_scores(f, "b" * 64, "d" * 64, allow_unsigned=True)
    with pytest.raises(CleftEdgeError, match="data set"):
        load_reference_scores(f, "a" * 64, "e" * 64, allow_unsigned=True)
    with pytest.raises(CleftEdgeError, match="no score for frame 'z'"):
        got.lookup(["x", "z"], "f")
    doc = json.loads(f.read_text())
    doc["scores"][0] = float("nan")
    f.write_text(json.dumps(doc))
    with pytest.raises(CleftEdgeError):
        load_reference_scores(f, "a" * 64, "d" * 64, allow_unsigned=True)
