"""What of a QA report goes into a bundle, and so onto every cart of a fleet: the figures and the
hashes, nothing that names a patient or a file. Flip thumbnails (report.html) stay with QA; file
names and paths are dropped; case ids and sweep names become salted hashes (the salt is random per
attachment and not kept, so the hashes tell cases apart inside one report and nothing more). The
full report stays with QA; its SHA-256 is in the attestation.

Sections are kept by name (an allowlist): a section a newer QA adds does not ship until it is
listed here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

# top-level sections of report.json that ship; every other one is dropped (and named in "redaction")
KEPT = ("kind", "schema", "created", "cleftedge_version", "policy", "policy_sha256", "verdict", "evidence",
        "allowances", "lineage", "data_roles", "ledger", "reference", "candidate", "data", "figures", "flips",
        "score_difference", "sites", "labels", "cases", "subgroups", "bands", "operating_points", "timing",
        "alerts", "retuned_threshold")
# keys whose values name files or folders (or hold pictures): dropped wherever they appear
DROPPED = {"path", "paths", "model", "file", "files", "folder", "key", "keys", "cache_dir", "source", "video",
           "thumbnail", "thumbnails", "image", "images", "jpeg", "png", "bundle"}
# keys whose values identify a patient's case or scan: replaced by salted hashes
SALTED = {"case_id", "case_ids", "flipped_cases", "sweep", "case", "patient", "patient_id", "study", "series"}
PATHLIKE = re.compile(r"^(/|~|[A-Za-z]:[\\/]|\\\\)")


def redact_report(report: dict, salt: bytes | None = None) -> tuple[dict, list[str]]:
    """(the report as it ships in a bundle, the top-level sections left out)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    kept = {k: _scrub(v, salt) for k, v in report.items() if k in KEPT}
    return kept, sorted(k for k in report if k not in KEPT)


def pseudonym(value: Any, salt: bytes) -> str:
    """A salted, shortened HMAC of `value` ("h:" + 16 hex digits): equal values stay equal, none can be read back."""
    return "h:" + hmac.new(salt, str(value).encode(), hashlib.sha256).hexdigest()[:16]


def _scrub(value: Any, salt: bytes) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in DROPPED and not isinstance(v, (int, float, bool)) and v is not None and \
                    not (k == "model" and isinstance(v, dict) and set(v) <= {"name", "version"}):
                continue
            out[k] = _salted(v, salt) if k in SALTED else _scrub(v, salt)
        return out
    if isinstance(value, list):
        return [_scrub(v, salt) for v in value]
    if isinstance(value, str) and PATHLIKE.match(value):
        return "(path removed)"
    return value


def _salted(value: Any, salt: bytes) -> Any:
    if isinstance(value, list):
        return [_salted(v, salt) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return pseudonym(value, salt)
