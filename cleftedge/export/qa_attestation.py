"""`bundle attach-qa`: bind a passing QA report, run on this bundle's engine, into the manifest.
Attaching changes the manifest, so an older signature is removed (sign after attaching)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cleftedge.documents import read_document
from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file
from cleftedge.runtime.bundle.manifest import hash_files, load_manifest, write_manifest
from cleftedge.runtime.bundle.signing import SIGNATURE_FILE

REPORT_KIND = "cleftedge.qa_report"
QA_FILES = ("report.json", "report.html")


def read_report(report_dir: Path) -> dict:
    path = report_dir / "report.json"
    report = read_document(path, "QA report", "a QA report folder made by 'cleftedge qa --report'",
                           "check REPORT_DIR", "run the QA again")
    if not isinstance(report, dict) or report.get("kind", REPORT_KIND) != REPORT_KIND:
        raise CleftEdgeError(f"{path} is not a cleftedge QA report", f"kind '{REPORT_KIND}'", "check REPORT_DIR")
    return report


def attach_qa(folder: Path, report_dir: Path) -> tuple[str, bool]:
    """Attach the report; return (its verdict line, whether an old signature was removed)."""
    manifest = load_manifest(folder)
    _check_unchanged(folder, manifest)
    report = read_report(report_dir)
    engine_sha = manifest["engine"]["sha256"]
    candidate = report.get("candidate") if isinstance(report.get("candidate"), dict) else {}
    cand = candidate.get("sha256")
    if cand != engine_sha:
        raise CleftEdgeError("the QA report was not run on this bundle's engine "
                             f"(report {str(cand)[:12]}, engine {engine_sha[:12]})",
                             "a report from 'cleftedge qa --candidate BUNDLE' on this bundle",
                             "run QA on this bundle and attach that report")
    verdict = report.get("verdict") if isinstance(report.get("verdict"), dict) else {}
    if verdict.get("passed") is not True:
        raise CleftEdgeError(f"the QA report failed ({verdict.get('line', 'no verdict')})", "a passing QA report",
                             "fix the calibration and rebuild; a failed report cannot be attached")
    qa_dir = folder / "qa"
    qa_dir.mkdir(exist_ok=True)
    for name in QA_FILES:
        if (report_dir / name).is_file():
            shutil.copyfile(report_dir / name, qa_dir / name)
    data = report.get("data") if isinstance(report.get("data"), dict) else {}
    manifest["qa"] = {"verdict": "pass", "line": str(verdict.get("line", "")), "candidate_sha256": cand,
                      "report_sha256": sha256_file(qa_dir / "report.json"), "data_sha256": data.get("content_hash"),
                      "proxy": bool(candidate.get("proxy", False))}
    found = hash_files(folder)  # the checked files plus the QA files, nothing else
    manifest["files"] = {rel: sha for rel, sha in found.items()
                         if rel in manifest["files"] or rel in {f"qa/{n}" for n in QA_FILES}}
    signature = folder / SIGNATURE_FILE
    dropped = signature.is_file()
    if dropped:
        signature.unlink()
    write_manifest(folder, manifest)
    return str(verdict.get("line", "pass")), dropped


def _check_unchanged(folder: Path, manifest: dict) -> None:
    """Attaching re-hashes the bundle: it must not bless a file changed since the build."""
    found = hash_files(folder)
    for rel, sha in manifest["files"].items():
        if rel.startswith("qa/"):
            continue  # an older attached report is replaced
        if found.get(rel) != sha:
            raise CleftEdgeError(f"{rel} no longer matches its SHA-256 in the manifest",
                                 "an unchanged bundle to attach QA to", "rebuild the bundle")
