import json

import pytest

from cleftedge.cli import main


def int8_ir(folder, reference_export_copy):
    """The reference model (reference_export_copy: the session fixture in tests/conftest.py) calibrated for
    intel-cpu by `cleftedge calibrate --profile intel-cpu` (the profile's recipe: NNCF to an OpenVINO
    IR carrying its spec and calibration record)."""
    onnx_path = reference_export_copy(folder / "model.onnx")
    assert main(["simulate", "frames", "--out", str(folder / "calib"), "--count", "64", "--seed", "99"]) == 0
    out = folder / "model.int8.xml"
    assert main(["calibrate", "--model", str(onnx_path), "--data", str(folder / "calib"), "--profile", "intel-cpu",
                 "--out", str(out)]) == 0
    return out


def sign(bundle, key):
    """`cleftedge bundle sign BUNDLE --key KEY`; its exit code."""
    return main(["bundle", "sign", str(bundle), "--key", str(key)])


def manifest(bundle) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


def flip_byte(path, offset=-100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))



def verify(bundle, built, *extra):
    """`cleftedge bundle verify BUNDLE --trust-store <built>/trust ...`; its exit code."""
    return main(["bundle", "verify", str(bundle), "--trust-store", str(built / "trust"), *extra])


def edit_manifest(bundle, change) -> None:
    """Change the manifest in place (change(m) edits the dict), as someone tampering would."""
    m = manifest(bundle)
    change(m)
    (bundle / "manifest.json").write_text(json.dumps(m))


def one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.startswith("cleftedge: error:") and err.count("\n") == 1, err
    return err


def per_contract(report: dict, **changes) -> dict:
    """A QA report as `cleftedge qa` writes it from report schema 2 on (the fields the attestation
    carries: policy_sha256, evidence, allowances, lineage, data_roles, ledger, the candidate's
    inference precision), made from a real schema-1 report; `changes` set dotted keys
    ("lineage.status": "unknown")."""
    import copy

    from cleftedge.runtime.bundle.attestation import policy_sha256

    r = copy.deepcopy(report)
    cand = r["candidate"]
    r.update(schema=2, policy_sha256=policy_sha256(r["policy"]), allowances=[],
             evidence={"frames": r["data"]["frames"], "cases": r["data"]["cases"], "positive_clusters": 7,
                       "negative_clusters": 15, "minimum_positive_clusters": 5, "minimum_negative_clusters": 5,
                       "criteria": {name: {"design_effect": 1.3, "effective_n": 17.5, "deciding_interval": kind}
                                    for name, kind in (("sensitivity_difference", "tango"),
                                                       ("specificity_difference", "tango"),
                                                       ("auc_drop", "obuchowski"),
                                                       ("agreement", "clopper_pearson"))}},
             lineage={"status": "checked", "reference_sha256": r["reference"]["sha256"],
                      "candidate_source_sha256": "5" * 64},
             data_roles={"separation": "checked", "calibration": {"content_hash": "c" * 64},
                         "validation": {"content_hash": "d" * 64}},
             ledger={"runs_on_this_data": 1})
    cand.update(inference_precision=cand["backend"].get("inference_precision") or "f32", proxy_reasons=[])
    r["verdict"].update(result="pass", passed=True)  # what is judged here is the attestation, not the set's size
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = r
        for part in path:
            node = node[part]
        node[last] = value
    return r


SCHEMA_2_FIELDS = ("policy_sha256", "evidence", "allowances", "lineage", "data_roles", "ledger")


def as_schema_1(report: dict) -> dict:
    """The report as a cleftedge before report schema 2 wrote it (no --allow-* record and the rest)."""
    import copy

    r = {k: copy.deepcopy(v) for k, v in report.items() if k not in SCHEMA_2_FIELDS}
    r["schema"] = 1
    r["candidate"].pop("inference_precision", None)
    r["candidate"].pop("proxy_reasons", None)
    r["verdict"].update(result="pass", passed=True)
    return r


def write_report(folder, report: dict):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    return folder


def _qa_writes_schema_2() -> bool:
    from cleftedge.calibration.qa.report_json import SCHEMA

    return SCHEMA >= 2


# A cart whose profile requires QA refuses an attestation from a schema-1 report (it does not say
# which --allow-* options QA used); until `cleftedge qa` writes schema 2 (issue 10), the release path
# on such a profile must fail, and once it does, these tests run as plain tests again.
NEEDS_QA_SCHEMA_2 = pytest.mark.xfail(not _qa_writes_schema_2(), strict=True,
                                      reason="needs report.json schema 2 from 'cleftedge qa' (issue 10)")
