"""The attestation means what it says: it carries the policy and the evidence, `verify` reads the
attached report and holds it against the attestation and this engine, a profile's floor refuses a
looser policy, its permit list the --allow-* options it does not allow, require_lineage an unknown
lineage; and what ships to the fleet holds no file paths, thumbnails or case ids.

The schema-2 fields of report.json (issue 10's contract: policy_sha256, evidence, allowances,
lineage, ledger, the candidate's inference precision) are added to real `cleftedge qa` reports by
bundle_helpers.per_contract until `cleftedge qa` writes them itself."""

import json
import shutil

import pytest
from bundle_helpers import (
    as_schema_1,
    edit_manifest,
    manifest,
    one_line_error,
    per_contract,
    sign,
    verify,
    write_report,
)

from cleftedge.cli import main
from cleftedge.hashing import sha256_file


@pytest.fixture(scope="module")
def qa_runs(built, int8_model, tmp_path_factory):
    """Real QA reports on the built bundle's engine: the default policy, and a loosened one."""
    root = tmp_path_factory.mktemp("qa")
    assert main(["simulate", "frames", "--out", str(root / "data"), "--count", "120", "--seed", "21"]) == 0
    (root / "loose.toml").write_text("min_sensitivity_difference_pp = -5.0\nmax_auc_drop = 0.05\n")
    reports = {}
    for name, extra in (("default", []), ("loose", ["--policy", str(root / "loose.toml")])):
        # (the exit code is not judged here: a set this small may not show non-inferiority; the
        # attestation built from the report is what these tests are about)
        main(["qa", "--reference", str(int8_model.parent / "model.onnx"), "--candidate", str(built / "b"),
              "--data", str(root / "data"), "--report", str(root / name), *extra])
        reports[name] = json.loads((root / name / "report.json").read_text())
    return reports


def attest(built, bundle, tmp_path, report: dict, profile_qa: dict | None = None):
    """Set the bundle's profile [qa] table (as a build with that profile would), attach the report,
    sign; the exit code of verify."""
    if profile_qa is not None:
        edit_manifest(bundle, lambda m: m["profile"].update(qa=profile_qa))
    assert main(["bundle", "attach-qa", str(bundle), str(write_report(tmp_path / "rep", report))]) == 0
    assert sign(bundle, built / "keys" / "cleftedge-signing.key.pem") == 0
    return verify(bundle, built)


REQUIRED = {"required": True}


def test_the_attestation_carries_policy_evidence_and_hashes(built, bundle_copy, tmp_path, qa_runs, capsys):
    report = per_contract(qa_runs["default"], **{"ledger.runs_on_this_data": 3})
    assert attest(built, bundle_copy, tmp_path, report, REQUIRED) == 0
    out = capsys.readouterr().out
    assert "ok    qa             QA passed" in out and "policy sha256" in out
    assert "min_sensitivity_difference_pp -2" in out
    qa = manifest(bundle_copy)["qa"]
    assert qa["policy"] == report["policy"] and qa["policy_sha256"] == report["policy_sha256"]
    assert qa["evidence"]["positive_clusters"] == 7 and qa["evidence"]["criteria"]["agreement"] == {
        "design_effect": 1.3, "effective_n": 17.5, "deciding_interval": "clopper_pearson"}
    assert qa["data_sha256"] == report["data"]["content_hash"]
    assert qa["reference_sha256"] == report["reference"]["sha256"]
    assert qa["inference_precision"] == report["candidate"]["inference_precision"] and qa["proxy"] is False
    assert qa["allowances"] == [] and qa["runs_on_this_data"] == 3
    assert qa["full_report_sha256"] == sha256_file(tmp_path / "rep" / "report.json")
    assert main(["bundle", "inspect", str(bundle_copy)]) == 0
    shown = capsys.readouterr().out
    assert "policy    policy sha256" in shown and "QA runs on this data 3" in shown
    assert "toolkit   (built / QA'd / this machine)" in shown and "openvino" in shown


def test_a_loosened_policy_is_refused_under_the_default_floor(built, bundle_copy, tmp_path, qa_runs, capsys):
    # a QA lead passed the gate with -5 pp and an AUC drop of 0.05; the cart's profile requires QA
    assert qa_runs["loose"]["policy"]["max_auc_drop"] == 0.05
    assert attest(built, bundle_copy, tmp_path, per_contract(qa_runs["loose"]), REQUIRED) == 1
    assert "max_auc_drop' is 0.05, above the profile's floor 0.01" in one_line_error(capsys)  # keys in order


def test_a_floor_of_the_profile_and_a_policy_at_it(built, bundle_copy, tmp_path, qa_runs, capsys):
    floor = {"required": True, "policy_floor": {"min_sensitivity_difference_pp": -5.0, "max_auc_drop": 0.05}}
    assert attest(built, bundle_copy, tmp_path, per_contract(qa_runs["loose"]), floor) == 0
    stricter = {"required": True, "policy_floor": {"min_sensitivity_difference_pp": -1.0}}
    b2 = tmp_path / "b2"
    shutil.copytree(built / "b", b2)
    assert attest(built, b2, tmp_path / "2", per_contract(qa_runs["default"]), stricter) == 1
    assert "'min_sensitivity_difference_pp' is -2, below the profile's floor -1" in one_line_error(capsys)


def test_an_allowance_the_profile_does_not_permit_is_refused(built, bundle_copy, tmp_path, qa_runs, capsys):
    report = per_contract(qa_runs["default"], allowances=["allow_overlap"])
    assert attest(built, bundle_copy, tmp_path, report, REQUIRED) == 1
    assert "QA used --allow-overlap, which the profile does not permit" in one_line_error(capsys)
    b2 = tmp_path / "b2"
    shutil.copytree(built / "b", b2)
    assert attest(built, b2, tmp_path / "2", report, {"required": True, "permit": ["allow_overlap"]}) == 0


def test_unknown_lineage_is_allowed_unless_the_profile_requires_it(built, bundle_copy, tmp_path, qa_runs, capsys):
    report = per_contract(qa_runs["default"], lineage={"status": "unknown", "reference_sha256": None,
                                                        "candidate_source_sha256": None})
    assert attest(built, bundle_copy, tmp_path, report, REQUIRED) == 0
    b2 = tmp_path / "b2"
    shutil.copytree(built / "b", b2)
    assert attest(built, b2, tmp_path / "2", report, {"required": True, "require_lineage": True}) == 1
    assert "lineage is unknown; the profile requires it checked" in one_line_error(capsys)


def _swap_report(bundle, report: dict) -> None:
    """Put another report into qa/report.json and make the manifest name its hash, as a signer who
    does not read the report would: the attestation block itself stays as attach-qa wrote it."""
    (bundle / "qa" / "report.json").write_text(json.dumps(report))
    sha = sha256_file(bundle / "qa" / "report.json")

    def honest_looking(m):
        m["files"]["qa/report.json"] = sha
        m["qa"]["report_sha256"] = sha

    edit_manifest(bundle, honest_looking)


@pytest.mark.parametrize("change, named", [
    ({"candidate.sha256": "e" * 64}, "its candidate is eeee"),
    ({"verdict.result": "fail", "verdict.passed": False}, "verdict is 'fail', not pass"),
    ({"data.content_hash": "f" * 64}, "its data set hash"),
    ({"candidate.inference_precision": "f16"}, "its inference precision is f16"),
    ({"policy.min_agreement": 0.5}, "its policy"),
    ({"allowances": ["allow_overlap"]}, "its --allow-* options"),
])
def test_verify_reads_the_attached_report(built, bundle_copy, tmp_path, qa_runs, change, named, capsys):
    report = per_contract(qa_runs["default"])
    assert attest(built, bundle_copy, tmp_path, report, REQUIRED) == 0
    _swap_report(bundle_copy, per_contract(qa_runs["default"], **change))
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 0
    capsys.readouterr()
    assert verify(bundle_copy, built) == 1
    assert named in one_line_error(capsys)


def test_an_attestation_from_a_schema_1_report_is_refused_where_qa_is_required(built, bundle_copy, tmp_path,
                                                                              qa_runs, capsys):
    old = as_schema_1(qa_runs["default"])
    assert attest(built, bundle_copy, tmp_path, old, REQUIRED) == 1
    assert "does not say which --allow-* options QA used" in one_line_error(capsys)
    b2 = tmp_path / "b2"
    shutil.copytree(built / "b", b2)  # where the profile does not require QA, it is shown, not judged
    assert attest(built, b2, tmp_path / "2", old) == 0


def test_what_ships_holds_no_paths_thumbnails_or_case_ids(built, bundle_copy, tmp_path, qa_runs):
    report = per_contract(qa_runs["default"])
    report["flips"]["frames"] = [{"key": "cleft/patient-4711_frame03.png", "label": "unilateral_left",
                                  "positive": True, "case_id": "patient-4711", "site": "site-B",
                                  "reference_score": 0.91, "candidate_score": 0.62, "change": "candidate misses"}]
    report["flips"]["count"] = 1
    report["cases"]["flipped_cases"] = ["patient-4711"]
    report["alerts"] = {"sweeps": [{"sweep": "patient-4711-sweep2", "fps": 30.0}]}
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "report.html").write_text("<img src='data:image/jpeg;base64,/9j/4AAQ'>patient-4711")
    assert attest(built, bundle_copy, tmp_path, report, REQUIRED) == 0
    assert not (bundle_copy / "qa" / "report.html").exists() and "qa/report.html" not in manifest(bundle_copy)["files"]
    shipped_text = (bundle_copy / "qa" / "report.json").read_text()
    everything = shipped_text + json.dumps(manifest(bundle_copy)["qa"])
    for secret in ("patient-4711", "frame03.png", str(built), str(tmp_path), "/9j/"):
        assert secret not in everything
    shipped = json.loads(shipped_text)
    frame = shipped["flips"]["frames"][0]
    assert "key" not in frame and frame["case_id"].startswith("h:") and frame["reference_score"] == 0.91
    assert shipped["cases"]["flipped_cases"] == [frame["case_id"]]  # one case, one pseudonym
    assert shipped["redaction"]["full_report_sha256"] == manifest(bundle_copy)["qa"]["full_report_sha256"]
    assert shipped["figures"] == report["figures"] and shipped["verdict"] == report["verdict"]


def test_a_profile_file_sets_the_floor_permit_and_lineage(built, int8_model, tmp_path, qa_runs, capsys):
    from cleftedge.device_profiles import builtin_text

    text = builtin_text("intel-cpu").replace('name = "intel-cpu"', 'name = "strict-cart"')
    profile = tmp_path / "strict.toml"
    profile.write_text(text + 'permit = []\nrequire_lineage = true\n\n[qa.policy_floor]\n'
                       "min_sensitivity_difference_pp = -1.0\n")
    assert main(["build", "--model", str(int8_model), "--profile", str(profile), "--out", str(tmp_path / "b")]) == 0
    assert manifest(tmp_path / "b")["profile"]["qa"]["policy_floor"] == {"min_sensitivity_difference_pp": -1.0}
    report = per_contract(qa_runs["default"])
    report["candidate"]["sha256"] = manifest(tmp_path / "b")["engine"]["sha256"]  # the same IR, built again
    report["candidate"]["bundle_manifest_sha256"] = report["candidate"]["sha256"]
    capsys.readouterr()
    assert attest(built, tmp_path / "b", tmp_path, report) == 1
    assert "below the profile's floor -1" in one_line_error(capsys)
    for bad, named in (("[qa.policy_floor]\nseed = 3\n", "not a criterion"),
                       ("[qa.policy_floor]\nmin_agreement = true\n", "a number"),
                       ('permit = ["--allow-overlap"]\n', "allow_overlap")):
        profile.write_text(text + bad)
        assert main(["profiles", "show", str(profile)]) == 1
        assert named in one_line_error(capsys)


def test_the_carts_default_floor_is_the_default_qa_policy():
    """The cart holds the default floor as data (it has no calibration package); it must be the default
    policy's criteria exactly, so changing a default in policy.py without the cart's floor fails here."""
    from cleftedge.calibration.qa.policy import Policy
    from cleftedge.runtime.bundle.attestation import DEFAULT_FLOOR, default_floor, floor_rule

    expected = {k: v for k, v in Policy().to_dict().items() if floor_rule(k) and v is not None}
    assert DEFAULT_FLOOR == expected
    assert default_floor() == expected and default_floor() is not DEFAULT_FLOOR
