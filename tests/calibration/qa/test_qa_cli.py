"""`cleftedge qa` end to end on real models and frames on disk: pass, fail with the criterion
named, PROXY, reference-score binding, the locked data hash, re-tuning and leakage."""

import json

import pytest

from cleftedge.cli import main


def _qa(capsys, *argv):
    rc = main(["qa", *map(str, argv)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _report(path):
    return json.loads((path / "report.json").read_text())


def test_faithful_openvino_candidate_passes(qa_world, ir_candidate, tmp_path, capsys):
    out = tmp_path / "qa-ov"
    rc, stdout, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate,
                        "--data", qa_world["qa"], "--report", out)
    assert rc == 0, stdout
    assert "QA PASS" in stdout and "sensitivity" in stdout and " pp [" in stdout  # the summary table and the verdict
    r = _report(out)
    assert r["verdict"]["passed"] and r["candidate"]["backend"]["backend"] == "openvino"
    assert r["candidate"]["proxy"] is False and r["figures"]["clustered"]
    assert r["data"]["frames"] == len(qa_world["frames"])
    assert r["reference"]["backend"]["backend"] == "onnxruntime"
    assert {row["group"] for row in r["sites"]} == {"site-A", "site-B"}
    html = (out / "report.html").read_text()
    assert 'id="verdict" class="pass"' in html


def test_damaged_candidate_fails_naming_the_criterion(qa_world, tmp_path, capsys):
    out = tmp_path / "qa-damaged"
    rc, stdout, stderr = _qa(capsys, "--reference", qa_world["reference"], "--candidate", qa_world["damaged"],
                             "--data", qa_world["qa"], "--report", out)
    assert rc == 1
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("cleftedge: QA FAIL: ") and "agreement FAILED" in line
    r = _report(out)
    assert not r["verdict"]["passed"]
    assert "agreement" in [c["name"] for c in r["verdict"]["criteria"] if not c["passed"]]
    assert 0.02 <= r["flips"]["rate"] <= 0.045
    html = (out / "report.html").read_text()
    assert 'id="verdict" class="fail"' in html and html.count('src="data:image/jpeg;base64,') >= 10


def test_tensorrt_qdq_runs_as_a_proxy_and_says_so(qa_world, qdq_tensorrt_candidate, tmp_path, capsys):
    out = tmp_path / "qa-trt"
    rc, stdout, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", qdq_tensorrt_candidate,
                        "--data", qa_world["qa"], "--report", out, "--json")
    doc = json.loads(stdout)
    assert rc == 0 and doc["passed"]
    assert "PROXY" in doc["line"] and "tensorrt" in doc["line"]
    r = _report(out)
    assert r["candidate"]["proxy"] and r["candidate"]["intended_backend"] == "tensorrt"
    assert r["candidate"]["backend"]["precision"] == "int8"
    assert 'id="proxy"' in (out / "report.html").read_text()


def test_saved_reference_scores_are_signed_and_bound_to_model_and_data(qa_world, ir_candidate, signing, tmp_path,
                                                                       capsys):
    scores = tmp_path / "ref-scores.json"
    rc, stdout, _ = _qa(capsys, "--reference", qa_world["reference"], "--data", qa_world["qa"],
                        "--save-reference-scores", scores)
    assert rc == 0 and scores.is_file() and f"saved {len(qa_world['frames'])} reference scores" in stdout
    cart = ["--reference", qa_world["reference"], "--reference-scores", scores, "--candidate", ir_candidate]
    # unsigned: refused, unless --allow-unsigned-scores (recorded)
    rc, _, stderr = _qa(capsys, *cart, "--data", qa_world["qa"], "--report", tmp_path / "u")
    assert rc == 1 and "are not signed" in stderr and not (tmp_path / "u").exists()
    rc, _, _ = _qa(capsys, *cart, "--data", qa_world["qa"], "--report", tmp_path / "u", "--allow-unsigned-scores")
    r = _report(tmp_path / "u")
    assert rc == 0 and r["allowances"] == ["allow_unsigned_scores"]
    assert r["reference"]["scores_signature"]["status"] == "unsigned_allowed"
    assert main(["scores", "sign", str(scores), "--key", str(signing["key"])]) == 0
    out = tmp_path / "qa-cart"
    rc, _, _ = _qa(capsys, *cart, "--data", qa_world["qa"], "--report", out, "--trust-store", signing["trust"])
    r = _report(out)
    assert rc == 0 and r["reference"]["scores_from"] == str(scores) and r["allowances"] == []
    assert r["reference"]["scores_signature"]["status"] == "verified"
    # another reference model: refused
    rc, _, stderr = _qa(capsys, "--reference", qa_world["damaged"], "--reference-scores", scores,
                        "--candidate", ir_candidate, "--data", qa_world["qa"], "--report", tmp_path / "x",
                        "--trust-store", signing["trust"])
    assert rc == 1 and "bound to reference model" in stderr and not (tmp_path / "x").exists()
    # another data set: refused
    rc, _, stderr = _qa(capsys, *cart, "--data", qa_world["val"], "--report", tmp_path / "y",
                        "--trust-store", signing["trust"])
    assert rc == 1 and "bound to data set" in stderr


def test_expect_data_hash(qa_world, ir_candidate, tmp_path, capsys):
    out = tmp_path / "qa-locked"
    rc, _, stderr = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate,
                        "--data", qa_world["qa"], "--report", out, "--expect-data-hash", "0" * 64)
    assert rc == 1 and "content hash" in stderr and "0" * 64 in stderr and not out.exists()
    assert len(stderr.strip().splitlines()) == 1
    from cleftedge.calibration.datasets import open_dataset

    good = open_dataset(qa_world["qa"]).content_hash()
    rc, _, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate,
                   "--data", qa_world["qa"], "--report", out, "--expect-data-hash", good)
    assert rc == 0 and _report(out)["data"]["content_hash"] == good


def test_retune_threshold_on_the_validation_set(qa_world, ir_candidate, tmp_path, capsys):
    # a damaged candidate: re-tuned on the validation set, it still fails the QA set: no spec patch
    out = tmp_path / "qa-retune"
    rc, stdout, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", qa_world["damaged"],
                        "--data", qa_world["qa"], "--val-data", qa_world["val"], "--retune-threshold", "--report", out)
    assert rc == 1  # the fixed-threshold verdict sets the exit code
    r = _report(out)["retuned_threshold"]
    v = r["validation"]
    assert v["candidate_retuned"]["sensitivity"] >= v["reference"]["sensitivity"]
    assert "verdict" in r and "qa_figures" in r and not r["verdict"]["passed"]
    assert r["spec_patch"] is None and not (out / "spec-patch.toml").exists()
    assert "retune: no spec-patch.toml written" in stdout
    # a faithful candidate: the highest threshold that keeps every validation cleft also drops the
    # reference's false alarms, so agreement falls below 98 %: no patch under the default policy ...
    out = tmp_path / "qa-retune-ok"
    args = ["--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", qa_world["qa"],
            "--val-data", qa_world["val"], "--retune-threshold"]
    rc, stdout, _ = _qa(capsys, *args, "--report", out)
    assert rc == 0 and not (out / "spec-patch.toml").exists() and "no spec-patch.toml written" in stdout
    # ... and under a test policy that accepts 90 % agreement the re-tuned result passes: only then the patch
    policy = tmp_path / "test-policy.toml"
    policy.write_text("min_agreement = 0.90  # a test policy: exercises the patch writer, not a real gate\n")
    rc, stdout, _ = _qa(capsys, *args, "--report", out, "--policy", policy)
    r = _report(out)["retuned_threshold"]
    assert rc == 0 and r["verdict"]["passed"] and "retune: wrote spec-patch.toml" in stdout
    from cleftedge.toml import loads

    assert loads((out / "spec-patch.toml").read_text())["output"]["threshold"] == pytest.approx(r["threshold"])


def test_overlapping_validation_set_is_refused(qa_world, ir_candidate, tmp_path, capsys):
    args = ["--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", qa_world["qa"],
            "--val-data", qa_world["qa"], "--retune-threshold", "--report", tmp_path / "o"]
    rc, _, stderr = _qa(capsys, *args)
    assert rc == 1 and len(stderr.strip().splitlines()) == 1
    rc, _, _ = _qa(capsys, *args, "--allow-overlap")
    assert rc == 0


@pytest.mark.parametrize("extra,word", [
    (["--retune-threshold"], "needs a validation set"),
    (["--reference-scores", "a.json", "--save-reference-scores", "b.json"], "both given"),
])
def test_inconsistent_options_are_one_line(qa_world, ir_candidate, tmp_path, capsys, extra, word):
    rc, _, stderr = _qa(capsys, "--reference", qa_world["reference"], "--candidate", ir_candidate,
                        "--data", qa_world["qa"], "--report", tmp_path / "r", *extra)
    assert rc == 1 and word in stderr and len(stderr.strip().splitlines()) == 1


def test_alert_parity_on_sweeps(qa_world, ir_candidate, sweeps_dir, tmp_path, capsys):
    out = tmp_path / "qa-sweeps"
    rc, _, _ = _qa(capsys, "--reference", qa_world["reference"], "--candidate", qa_world["reference"],
                   "--data", qa_world["qa"], "--sweeps", sweeps_dir, "--report", out)
    assert rc == 0
    a = _report(out)["alerts"]
    assert [s["sweep"] for s in a["sweeps"]] == ["sweep_a.mp4", "sweep_b.mp4"]
    assert a["episodes"] == 3 and a["missed"] == 0 and a["added"] == 0  # the same model: the same alerts
    assert all(s["reference_alerts"] >= 1 for s in a["sweeps"])
    assert all(e["difference_s"] == 0.0 for s in a["sweeps"] for e in s["episodes"]
               if e["difference_s"] is not None)
    assert "sweep_a.mp4" in (out / "report.html").read_text()


def test_report_json_schema_2_carries_the_attestation_contract(qa_world, calibrated, tmp_path, capsys):
    """The keys the bundle attestation copies and `verify` cross-checks (and a Ray run reproduces)."""
    import hashlib

    out = tmp_path / "qa-contract"
    _qa(capsys, "--reference", qa_world["reference"], "--candidate", calibrated["candidate"], "--data", qa_world["qa"],
        "--val-data", qa_world["val"], "--report", out)
    r = _report(out)
    assert r["schema"] == 2 and r["verdict"]["result"] in ("pass", "fail", "inconclusive")
    assert r["verdict"]["passed"] is (r["verdict"]["result"] == "pass")
    canonical = json.dumps(r["policy"], sort_keys=True, separators=(",", ":"))
    assert r["policy_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert r["policy"]["min_positive_clusters"] == 189 and None in r["policy"].values()  # every key, defaults in
    ev = r["evidence"]
    for key in ("frames", "cases", "positive_clusters", "negative_clusters", "minimum_positive_clusters",
                "minimum_negative_clusters", "criteria"):
        assert key in ev, key
    assert set(ev["criteria"]) >= {"sensitivity_difference", "specificity_difference", "auc_drop", "agreement"}
    for name, c in ev["criteria"].items():
        assert {"design_effect", "effective_n", "deciding_interval"} <= set(c), name
        assert c["deciding_interval"] in ("tango", "bootstrap", "clopper_pearson", "obuchowski"), name
    assert r["allowances"] == []
    assert r["lineage"]["status"] == "checked" and r["lineage"]["reference_sha256"] == r["reference"]["sha256"]
    assert r["lineage"]["candidate_source_sha256"] == r["reference"]["sha256"]
    assert r["data_roles"]["separation"] == "checked"
    assert r["data_roles"]["calibration"]["files_digest"] and r["data_roles"]["validation"]["files_digest"]
    assert len(r["reference"]["sha256"]) == len(r["data"]["content_hash"]) == len(r["candidate"]["sha256"]) == 64
    assert isinstance(r["candidate"]["proxy"], bool) and isinstance(r["candidate"]["proxy_reasons"], list)
    assert r["candidate"]["proxy"] and r["candidate"]["proxy_reasons"]  # a TensorRT recipe's QDQ, here
    assert r["candidate"]["inference_precision"] == "f32"
    assert r["ledger"]["runs_on_this_data"] >= 1
