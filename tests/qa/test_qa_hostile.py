"""The hostile battery: a QA lead, an integrator in a hurry or a forger trying to get "QA PASS" out
of evidence that does not show it. Every attack runs with the DEFAULT policy and must end with exit
code 1 and one clear line (refused, FAIL or INCONCLUSIVE), never a pass and never a traceback."""

import csv
import json
import shutil

import cv2
import numpy as np
import pytest

from cleftedge.cli import main


def _qa(capsys, *argv):
    rc = main(["qa", *map(str, argv)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


def _rows(world):
    with open(world["qa"] / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def write_manifest(root, rows):
    with open(root / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def copy_set(world, root, rows):
    """A QA set of the given manifest rows (files copied), with the world's label map."""
    root.mkdir(parents=True)
    shutil.copy(world["qa"] / "labels.json", root)
    for r in rows:
        (root / r["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(world["qa"] / r["path"], root / r["path"])
    write_manifest(root, rows)
    return root


@pytest.mark.parametrize("frames", [6, 15, 20])
def test_tiny_sets_are_inconclusive_not_a_pass(qa_world, ir_candidate, tmp_path, capsys, frames):
    data = copy_set(qa_world, tmp_path / "tiny", _rows(qa_world)[:frames])
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", data,
                     "--report", tmp_path / "rep")
    line = _one_line(err)
    assert rc == 1 and line.startswith("cleftedge: QA INCONCLUSIVE") and "189" in line
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert report["verdict"]["result"] == "inconclusive" and report["verdict"]["passed"] is False


def test_a_damaged_candidate_does_not_pass_on_20_frames(qa_world, tmp_path, capsys):
    # fails on the 2,000-frame set (test_qa_cli); on 20 frames the bootstrap alone said PASS
    rows = _rows(qa_world)
    data = copy_set(qa_world, tmp_path / "twenty", rows[:20])
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", qa_world["damaged"], "--data",
                     data, "--report", tmp_path / "rep")
    assert rc == 1 and "QA PASS" not in _one_line(err)


def test_copies_under_new_names_and_case_ids_are_refused(qa_world, ir_candidate, tmp_path, capsys):
    # 20 frames copied 40 times under new file names and case ids: 800 "frames", 800 "cases"
    rows = _rows(qa_world)[:20]
    root = copy_set(qa_world, tmp_path / "copies", rows)
    copies = []
    for k in range(40):
        for i, r in enumerate(rows):
            rel = f"{r['label']}/copy{k:02d}_{i:02d}.png"
            shutil.copy(root / r["path"], root / rel)
            copies.append({**r, "path": rel, "case_id": f"fake-{k}-{i}"})
    write_manifest(root, copies)
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", root,
                     "--report", tmp_path / "rep")
    line = _one_line(err)
    assert rc == 1 and "780 byte-identical copies" in line and "copy00_" in line and "copy01_" in line
    assert not (tmp_path / "rep").exists()


def test_nan_frames_are_refused_not_scored_as_blank(qa_world, ir_candidate, tmp_path, capsys):
    rows = _rows(qa_world)[:40]
    root = copy_set(qa_world, tmp_path / "nan", rows)
    for r in rows:  # every frame becomes a float TIFF of NaN (its own NaN pattern: not copies of each other)
        tif = r["path"].replace(".png", ".tif")
        img = cv2.imread(str(root / r["path"]), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0
        img[img > 0.3] = np.nan
        cv2.imwrite(str(root / tif), img)
        (root / r["path"]).unlink()
        r["path"] = tif
    write_manifest(root, rows)
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", root,
                     "--report", tmp_path / "rep")
    assert rc == 1 and "non-finite pixels" in _one_line(err)


def test_a_short_hash_prefix_is_not_a_locked_hash(qa_world, ir_candidate, tmp_path, capsys):
    from cleftedge.calibration.datasets import open_dataset

    prefix = open_dataset(qa_world["qa"]).content_hash()[:12]
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate, "--data",
                     qa_world["qa"], "--report", tmp_path / "rep", "--expect-data-hash", prefix)
    line = _one_line(err)
    assert rc == 1 and "not a full SHA-256" in line and "prefix" in line and "64-hex-digit" in line


@pytest.mark.parametrize("edit,needle", [
    (lambda r: {**r, "path": "../" + r["path"]}, "outside the data set's folder"),
    (lambda r: {**r, "severity": "7"}, "severity '7'"),
])
def test_manifest_rows_that_break_the_rules_are_refused(qa_world, ir_candidate, tmp_path, capsys, edit, needle):
    rows = _rows(qa_world)[:8]
    root = copy_set(qa_world, tmp_path / "m", rows)
    rows[3] = edit(rows[3])
    write_manifest(root, rows)
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", root,
                     "--report", tmp_path / "rep")
    assert rc == 1 and needle in _one_line(err)
