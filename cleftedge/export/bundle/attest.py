"""`bundle attach-qa`: bind a passing QA report, run on this bundle's engine, into the manifest.

The attestation (manifest "qa") carries what the report found and how it was judged: the policy
(content and SHA-256), the evidence summary (clusters, effective n), the data set, reference and
candidate hashes, the inference precision, PROXY or not, the QA runs on that locked set, every
--allow-* used, the toolkit versions QA ran with. What goes into the bundle (qa/report.json) is
the report's figures and hashes only (redact.py); the full report, with its thumbnails and
case ids, stays with QA, its SHA-256 in the attestation.
Attaching changes the manifest, so an older signature is removed (sign after attaching)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from cleftedge.documents import read_document
from cleftedge.errors import CleftEdgeError
from cleftedge.export.bundle import write_manifest
from cleftedge.export.bundle.redact import redact_report
from cleftedge.hashing import sha256_file
from cleftedge.runtime.bundle.attestation import REPORT, inference_precision, policy_sha256
from cleftedge.runtime.bundle.manifest import hash_files, load_manifest
from cleftedge.runtime.bundle.signing import SIGNATURE_FILE

REPORT_KIND = "cleftedge.qa_report"
EVIDENCE_FIELDS = ("frames", "cases", "positive_clusters", "negative_clusters", "minimum_positive_clusters",
                   "minimum_negative_clusters")
CRITERION_FIELDS = ("design_effect", "effective_n", "deciding_interval")


def read_report(report_dir: Path) -> dict:
    """The QA report (`report_dir`/report.json) as a dict; one-line CleftEdgeError when it is missing,
    unreadable or not a cleftedge QA report."""
    path = report_dir / "report.json"
    report = read_document(path, "QA report", "a QA report folder made by 'cleftedge qa --report'",
                           "check REPORT_DIR", "run the QA again")
    if not isinstance(report, dict) or report.get("kind", REPORT_KIND) != REPORT_KIND:
        raise CleftEdgeError(f"{path} is not a cleftedge QA report", f"kind '{REPORT_KIND}'", "check REPORT_DIR")
    return report


def _section(report: dict, name: str) -> dict:
    value = report.get(name)
    return value if isinstance(value, dict) else {}


def evidence_summary(evidence: object) -> dict | None:
    """Clusters and effective n per criterion: the part of the evidence a cart shows."""
    if not isinstance(evidence, dict):
        return None
    out = {k: evidence.get(k) for k in EVIDENCE_FIELDS if k in evidence}
    criteria = evidence.get("criteria")
    if isinstance(criteria, dict):
        out["criteria"] = {name: {k: c.get(k) for k in CRITERION_FIELDS if k in c}
                           for name, c in criteria.items() if isinstance(c, dict)}
    return out


def attestation(report: dict, shipped_sha256: str, full_sha256: str) -> dict:
    """manifest["qa"] from a passing report (fields a report does not have are null)."""
    cand, verdict = _section(report, "candidate"), _section(report, "verdict")
    policy = report.get("policy") if isinstance(report.get("policy"), dict) else None
    backend = cand.get("backend") if isinstance(cand.get("backend"), dict) else {}
    allowances = report.get("allowances")
    return {
        "verdict": "pass", "line": str(verdict.get("line", "")), "report_schema": report.get("schema"),
        "candidate_sha256": cand.get("sha256"), "reference_sha256": _section(report, "reference").get("sha256"),
        "data_sha256": _section(report, "data").get("content_hash"),
        "policy": policy, "policy_sha256": policy_sha256(policy) if policy is not None else None,
        "evidence": evidence_summary(report.get("evidence")),
        "allowances": sorted(allowances) if isinstance(allowances, list) else None,
        "lineage": report.get("lineage") if isinstance(report.get("lineage"), dict) else None,
        "data_roles": report.get("data_roles") if isinstance(report.get("data_roles"), dict) else None,
        "inference_precision": inference_precision(cand),
        "proxy": bool(cand.get("proxy", False)), "proxy_reasons": list(cand.get("proxy_reasons") or []),
        "runs_on_this_data": _section(report, "ledger").get("runs_on_this_data"),
        "toolkit": {**(backend.get("versions") if isinstance(backend.get("versions"), dict) else {}),
                    "cleftedge": report.get("cleftedge_version")},
        "report_sha256": shipped_sha256, "full_report_sha256": full_sha256,
        "attached": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def attach_qa(folder: Path, report_dir: Path) -> tuple[str, bool]:
    """Attach the report; return (its verdict line, whether an old signature was removed)."""
    from cleftedge.atomic import write_text

    manifest = load_manifest(folder)
    _check_unchanged(folder, manifest)
    report = read_report(report_dir)
    engine_sha = manifest["engine"]["sha256"]
    cand = _section(report, "candidate").get("sha256")
    if cand != engine_sha:
        raise CleftEdgeError("the QA report was not run on this bundle's engine "
                             f"(report {str(cand)[:12]}, engine {engine_sha[:12]})",
                             "a report from 'cleftedge qa --candidate BUNDLE' on this bundle",
                             "run QA on this bundle and attach that report")
    verdict = _section(report, "verdict")
    if verdict.get("passed") is not True or verdict.get("result", "pass") != "pass":
        raise CleftEdgeError(f"the QA report did not pass ({verdict.get('line', 'no verdict')})", "a passing QA report",
                             "fix the calibration and rebuild; a report that did not pass cannot be attached")
    shipped, dropped = redact_report(report)
    full_sha = sha256_file(report_dir / "report.json")
    shipped["redaction"] = {"full_report_sha256": full_sha, "sections_left_out": dropped,
                            "note": "figures and hashes only: no paths, no thumbnails; case ids and sweep names "
                                    "are salted hashes (the salt is not kept)"}
    qa_dir = folder / "qa"
    if qa_dir.exists():
        shutil.rmtree(qa_dir)  # an older attachment (and its report.html, which no longer ships)
    qa_dir.mkdir()
    write_text(folder / REPORT, json.dumps(shipped, indent=1, sort_keys=True) + "\n")
    manifest["qa"] = attestation(report, sha256_file(folder / REPORT), full_sha)
    found = hash_files(folder)  # the checked files plus the shipped report, nothing else
    manifest["files"] = {rel: sha for rel, sha in found.items()
                         if (rel in manifest["files"] and not rel.startswith("qa/")) or rel == REPORT}
    signature = folder / SIGNATURE_FILE
    dropped_signature = signature.is_file()
    if dropped_signature:
        signature.unlink()
    write_manifest(folder, manifest)
    return str(verdict.get("line", "pass")), dropped_signature


def _check_unchanged(folder: Path, manifest: dict) -> None:
    """Attaching re-hashes the bundle: it must not bless a file changed since the build."""
    found = hash_files(folder)
    for rel, sha in manifest["files"].items():
        if rel.startswith("qa/"):
            continue  # an older attached report is replaced
        if found.get(rel) != sha:
            raise CleftEdgeError(f"{rel} no longer matches its SHA-256 in the manifest",
                                 "an unchanged bundle to attach QA to", "rebuild the bundle")
