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


@pytest.fixture(scope="module")
def signed_scores(qa_world, signing, tmp_path_factory):
    path = tmp_path_factory.mktemp("scores") / "ref-scores.json"
    assert main(["qa", "--reference", str(qa_world["reference"]), "--data", str(qa_world["qa"]),
                 "--save-reference-scores", str(path)]) == 0
    assert main(["scores", "sign", str(path), "--key", str(signing["key"])]) == 0
    return path


def _cart(world, scores, candidate, report, *extra):
    return ["--reference", world["reference"], "--reference-scores", scores, "--candidate", candidate,
            "--data", world["qa"], "--report", report, *extra]


def test_forged_reference_scores_are_refused(qa_world, signing, signed_scores, tmp_path, capsys):
    # the forger keeps the real model's and data set's hashes and lowers the scores of the frames
    # the damaged candidate misses, so that it seems to agree with the "reference"
    doc = json.loads(signed_scores.read_text())
    doc["scores"] = [min(s, 0.1) for s in doc["scores"]]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc))
    rc, _, err = _qa(capsys, *_cart(qa_world, forged, qa_world["damaged"], tmp_path / "rep",
                                    "--trust-store", signing["trust"]))
    line = _one_line(err)
    assert rc == 1 and "signature does not match the file" in line and not (tmp_path / "rep").exists()
    # the forger strips the signature instead: unsigned scores are refused unless allowed (and recorded)
    del doc["signature"]
    forged.write_text(json.dumps(doc))
    rc, _, err = _qa(capsys, *_cart(qa_world, forged, qa_world["damaged"], tmp_path / "rep",
                                    "--trust-store", signing["trust"]))
    assert rc == 1 and "are not signed" in _one_line(err)


def test_scores_signed_by_a_key_outside_the_trust_store_are_refused(qa_world, ir_candidate, signed_scores, tmp_path,
                                                                     capsys):
    assert main(["keys", "generate", "--out", str(tmp_path / "other"), "--role", "scores"]) == 0
    (tmp_path / "trust").mkdir()
    shutil.copy(tmp_path / "other" / "cleftedge-signing.pub.pem", tmp_path / "trust")
    capsys.readouterr()
    rc, _, err = _qa(capsys, *_cart(qa_world, signed_scores, ir_candidate, tmp_path / "rep",
                                    "--trust-store", tmp_path / "trust"))
    assert rc == 1 and "not in the trust store" in _one_line(err)


def test_a_bundle_signing_key_cannot_sign_reference_scores(qa_world, signing, signed_scores, tmp_path, capsys):
    copy = tmp_path / "s.json"
    shutil.copy(signed_scores, copy)
    capsys.readouterr()
    assert main(["scores", "sign", str(copy), "--key", str(signing["bundle_key"])]) == 1
    assert "is a 'bundle' key" in _one_line(capsys.readouterr().err)


def test_scores_signed_with_a_trusted_bundle_key_are_refused(qa_world, ir_candidate, signing, signed_scores,
                                                             tmp_path, capsys):
    # the attacker holds the bundle-signing key (trusted on the cart for bundles) and signs scores with
    # it outside the CLI: a bundle key does not vouch for reference scores
    from cleftedge.runtime.bundle.signing import load_private_key, sign_document

    doc = json.loads(signed_scores.read_text())
    del doc["signature"]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(sign_document(doc, load_private_key(signing["bundle_key"]))))
    rc, _, err = _qa(capsys, *_cart(qa_world, forged, ir_candidate, tmp_path / "rep", "--trust-store",
                                    signing["trust"]))
    assert rc == 1 and "for another role, not as a 'scores' key" in _one_line(err) and not (tmp_path / "rep").exists()


# --- every data-set role checked -------------------------------------------------------------------

def test_the_calibration_set_as_qa_set_is_refused(qa_world, calibrated, tmp_path, capsys):
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"],
                     "--data", calibrated["calib"], "--report", tmp_path / "rep")
    line = _one_line(err)
    assert rc == 1 and "shares 300 files (by content)" in line and "calibration subset" in line
    assert not (tmp_path / "rep").exists()


def test_the_validation_set_as_qa_set_is_refused_even_without_val_data(qa_world, calibrated, tmp_path, capsys):
    # qa was not told about the validation set: the candidate's record names it
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"],
                     "--data", qa_world["val"], "--report", tmp_path / "rep")
    assert rc == 1 and "validation set named by the candidate's calibration record" in _one_line(err)


def test_one_calibration_case_under_a_new_file_is_refused(qa_world, calibrated, tmp_path, capsys):
    # no file is shared (the frame is re-encoded), but a case of the calibration set is
    rows = _rows(qa_world)[:40]
    root = copy_set(qa_world, tmp_path / "mixed", rows)
    with open(calibrated["calib"] / "manifest.csv", newline="") as f:
        cal = next(csv.DictReader(f))
    img = cv2.imread(str(calibrated["calib"] / cal["path"]), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(root / "normal" / "x.png"), np.clip(img.astype(int) + 1, 0, 255).astype(np.uint8))
    write_manifest(root, rows + [{**rows[0], "path": "normal/x.png", "label": cal["label"], "case_id": cal["case_id"]}])
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"],
                     "--data", root, "--report", tmp_path / "rep")
    line = _one_line(err)
    assert rc == 1 and "1 case id" in line and cal["case_id"] in line


def test_allow_overlap_is_written_into_the_report(qa_world, calibrated, tmp_path, capsys):
    rc, stdout, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"],
                          "--data", calibrated["calib"], "--report", tmp_path / "rep", "--allow-overlap")
    r = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert r["allowances"] == ["allow_overlap"] and r["data_roles"]["separation"] == "overlap_allowed"
    assert r["data_roles"]["calibration"]["shared_files"] == 300
    assert "[ALLOWED: --allow-overlap]" in r["verdict"]["line"]
    assert "ALLOWED: --allow-overlap" in (tmp_path / "rep" / "report.html").read_text()


def test_a_candidate_without_a_record_is_judged_with_separation_and_lineage_unknown(qa_world, ir_candidate,
                                                                                     tmp_path, capsys):
    rc, stdout, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate,
                        "--data", qa_world["qa"], "--report", tmp_path / "rep")
    r = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert rc == 0 and r["data_roles"]["separation"] == "unknown" and r["lineage"]["status"] == "unknown"
    assert any("data-set separation unknown" in w for w in r["warnings"])
    assert "warning: data-set separation unknown" in stdout and "warning: lineage unknown" in stdout


def test_a_checked_candidate_reports_every_role_and_its_lineage(qa_world, calibrated, tmp_path, capsys):
    rc, _, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"],
                   "--data", qa_world["qa"], "--val-data", qa_world["val"], "--report", tmp_path / "rep")
    r = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert r["data_roles"]["separation"] == "checked" and r["lineage"]["status"] == "checked"
    assert r["lineage"]["candidate_source_sha256"] == r["reference"]["sha256"]
    cal, val = r["data_roles"]["calibration"], r["data_roles"]["validation"]
    assert cal["files"] == 300 and cal["shared_files"] == 0 and cal["near_duplicates"]["pairs"] == 0
    assert val["files"] == 400 and val["data_hash"] == r["data_roles"]["validation_given"]["data_hash"]
    assert r["calibration_record"]["recipe"] == "tensorrt" and r["calibration_record"]["subset_size"] == 300


# --- lineage -----------------------------------------------------------------------------------------

def test_a_candidate_calibrated_from_another_fp32_model_is_refused(qa_world, calibrated, tmp_path, capsys):
    from cleftedge.hashing import sha256_file

    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["other_source"],
                     "--data", qa_world["qa"], "--report", tmp_path / "rep")
    line = _one_line(err)
    assert rc == 1 and sha256_file(qa_world["damaged"]) in line and sha256_file(qa_world["reference"]) in line
    rc, _, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["other_source"],
                   "--data", qa_world["qa"], "--report", tmp_path / "rep", "--allow-different-source")
    r = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert r["lineage"]["status"] == "different_source_allowed" and r["allowances"] == ["allow_different_source"]
    # the damaged source fails; the report names what to try next from the candidate's own record
    assert r["verdict"]["result"] == "fail"
    assert any("--target tensorrt --diagnose" in step for step in r["next_steps"])
    assert "What to try next" in (tmp_path / "rep" / "report.html").read_text()


def test_a_candidate_with_another_spec_is_refused(qa_world, tmp_path, capsys):
    import onnx

    model = onnx.load(str(qa_world["reference"]))
    spec = json.loads(next(p.value for p in model.metadata_props if p.key == "cleftedge.spec"))
    spec["output"]["positive_classes"] = [0]
    for p in model.metadata_props:
        if p.key == "cleftedge.spec":
            p.value = json.dumps(spec)
    onnx.save(model, str(tmp_path / "flipped.onnx"))
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", tmp_path / "flipped.onnx",
                     "--data", qa_world["qa"], "--report", tmp_path / "rep")
    assert rc == 1 and "output.positive_classes" in _one_line(err)


# --- every run on a locked set counted ---------------------------------------------------------------

def test_every_qa_run_on_the_locked_set_is_counted(qa_world, ir_candidate, qdq_tensorrt_candidate, tmp_path,
                                                   capsys):
    counts = []
    for candidate in (ir_candidate, qdq_tensorrt_candidate, ir_candidate):
        _qa(capsys, "--reference", qa_world["reference"], "--candidate", candidate, "--data", qa_world["qa"],
            "--report", tmp_path / "rep", "--ledger", tmp_path / "ledger")
        counts.append(json.loads((tmp_path / "rep" / "report.json").read_text())["ledger"])
    assert [c["runs_on_this_data"] for c in counts] == [1, 2, 3]
    assert counts[-1]["candidates_judged"] == 2


# --- near-duplicates --------------------------------------------------------------------------------

def _noisy(img, rng):
    return np.clip(img.astype(int) + rng.integers(-2, 3, img.shape), 0, 255).astype(np.uint8)


def test_near_duplicate_copies_under_new_case_ids_count_as_one_cluster(qa_world, ir_candidate, tmp_path, capsys):
    # 20 frames, each re-encoded 40 times with a little noise (no byte-identical file), every copy a
    # "case" of its own: 800 frames, 800 cases. Counted as independent they would pass the default
    # policy; clustered by their perceptual hashes they are the 5 cases they came from.
    rng = np.random.default_rng(0)
    rows = _rows(qa_world)[:20]
    root = copy_set(qa_world, tmp_path / "near", rows)
    copies = []
    for k in range(40):
        for i, r in enumerate(rows):
            rel = f"{r['label']}/near{k:02d}_{i:02d}.png"
            cv2.imwrite(str(root / rel), _noisy(cv2.imread(str(root / r["path"]), cv2.IMREAD_GRAYSCALE), rng))
            copies.append({**r, "path": rel, "case_id": f"fake-{k}-{i}"})
    write_manifest(root, copies)
    rc, _, err = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", root,
                     "--report", tmp_path / "rep")
    line = _one_line(err)
    r = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert rc == 1 and line.startswith("cleftedge: QA INCONCLUSIVE")
    assert r["near_duplicates"]["clusters_before"] == 800 and r["near_duplicates"]["clusters_after"] <= 20
    assert r["evidence"]["positive_clusters"] <= 9 and r["evidence"]["frames"] == 800


def test_a_qa_frame_near_a_calibration_frame_is_reported(qa_world, calibrated, tmp_path, capsys):
    rows = _rows(qa_world)
    root = copy_set(qa_world, tmp_path / "with-copy", rows)
    with open(calibrated["calib"] / "manifest.csv", newline="") as f:
        cal = next(csv.DictReader(f))
    img = cv2.imread(str(calibrated["calib"] / cal["path"]), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(root / "normal" / "from-calib.png"), _noisy(img, np.random.default_rng(1)))
    write_manifest(root, rows + [{**rows[0], "path": "normal/from-calib.png", "label": cal["label"],
                                  "case_id": "new-case"}])
    rc, stdout, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"],
                        "--data", root, "--report", tmp_path / "rep")
    r = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert r["data_roles"]["calibration"]["near_duplicates"]["qa_frames"] == 1
    assert "near-duplicates of calibration frames" in stdout
