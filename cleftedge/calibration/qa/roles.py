"""Every data-set role checked: the locked QA set must share no file (by content) and no case with
the sets that made or tuned the candidate, that is the calibration subset and the validation set
its calibration record names (their file SHA-256s and salted case ids), and the validation set
given to qa itself. Near-duplicate frames across roles are reported. A candidate without a record
(older, or made by another tool) cannot be checked: the report says "data-set separation unknown".
--allow-overlap lets an overlap through, and the report and the attestation say so."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from cleftedge.calibration.qa.near_duplicates import across_roles
from cleftedge.calibration.qa.phash import from_hex
from cleftedge.errors import CleftEdgeError

UNKNOWN = "data-set separation unknown: the candidate carries no calibration record naming its calibration and " \
          "validation sets (older, or made by another tool)"
ROLE_NAMES = {"calibration": "calibration subset", "validation": "validation set"}


def _digest(hashes: Iterable[str]) -> str:
    """One SHA-256 over a sorted list of hashes: which files were compared, in 64 characters."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def _recorded(qa_set: Any, record: dict, role: str) -> dict | None:
    from cleftedge.calibration.record import salted_case_id

    roles = record.get("roles")
    if not isinstance(roles, dict):
        return None
    entry = roles.get(role) if roles else None
    if not isinstance(entry, dict) or not isinstance(roles.get("salt"), str):
        return None
    files, cases = set(entry.get("files") or []), set(entry.get("case_ids") or [])
    salt = roles["salt"]
    shared_files = qa_set.file_hashes() & files
    shared_cases = {c for c in qa_set.case_ids() if salted_case_id(salt, c) in cases}
    return {"source": "the candidate's calibration record", "data_hash": entry.get("data_hash"),
            "frames": entry.get("frames"), "files": len(files), "files_digest": _digest(files),
            "case_ids": len(cases), "shared_files": len(shared_files), "shared_case_ids": len(shared_cases),
            "example_case_id": sorted(shared_cases)[0] if shared_cases else None, "phash": entry.get("phash")}


def _given(qa_set: Any, val_set: Any) -> dict:
    from cleftedge.calibration.leakage import overlap

    files, cases = overlap(qa_set, val_set)
    return {"source": "--val-data", "data_hash": val_set.content_hash(), "frames": len(val_set),
            "files": len(val_set.file_hashes()), "files_digest": _digest(val_set.file_hashes()),
            "case_ids": len(val_set.case_ids()), "shared_files": len(files), "shared_case_ids": len(cases),
            "example_case_id": sorted(cases)[0] if cases else None}


def _refuse(role: str, found: dict) -> CleftEdgeError:
    parts = []
    if found["shared_files"]:
        parts.append(f"{found['shared_files']} file{'s' if found['shared_files'] > 1 else ''} (by content)")
    if found["shared_case_ids"]:
        parts.append(f"{found['shared_case_ids']} case id{'s' if found['shared_case_ids'] > 1 else ''} "
                     f"(e.g. {found['example_case_id']})")
    where = "named by the candidate's calibration record" if found["source"] != "--val-data" else "(--val-data)"
    return CleftEdgeError(f"the QA set (--data) shares {' and '.join(parts)} with the {ROLE_NAMES[role]} {where}",
                          "a locked QA set that never calibrated or tuned the candidate",
                          "use a QA set disjoint from the calibration and validation sets (split by case), or pass "
                          "--allow-overlap, which the report and the attestation record")


def check_roles(qa_set: Any, record: dict | None, val_set: Any, allow_overlap: bool) -> dict:
    """The report's data_roles; raises when a role overlaps the QA set and overlap is not allowed."""
    out: dict = {"qa": {"data_hash": qa_set.content_hash(), "frames": len(qa_set),
                        "files_digest": _digest(qa_set.file_hashes())}, "warnings": []}
    known = bool(record)
    for role in ("calibration", "validation"):
        found = _recorded(qa_set, record or {}, role)
        if found is None and role == "validation" and record and isinstance(record.get("roles"), dict):
            found = {"source": "the candidate's calibration record", "none": "calibrated without a validation set"}
        if found is None:
            known = False
        out[role] = found
    if val_set is not None:
        out["validation_given"] = _given(qa_set, val_set)
    for role, key in (("calibration", "calibration"), ("validation", "validation"), ("validation", "validation_given")):
        found = out.get(key)
        if found and found.get("shared_files", 0) + found.get("shared_case_ids", 0) and not allow_overlap:
            raise _refuse(role, found)
    if not known:
        out["warnings"].append(UNKNOWN)
    out["separation"] = "overlap_allowed" if allow_overlap else ("checked" if known else "unknown")
    return out


def near_duplicates_across(data_roles: dict, qa_keys: list[str], qa_hashes: np.ndarray,
                           val_hashes: np.ndarray | None, val_keys: list[str] | None) -> None:
    """Add what near-duplicates the QA frames have in the calibration subset and the validation set."""
    cal = data_roles.get("calibration") or {}
    if cal.get("phash"):
        cal["near_duplicates"] = across_roles(qa_keys, qa_hashes, from_hex(cal.pop("phash")), "calibration subset")
        if cal["near_duplicates"]["pairs"]:
            data_roles["warnings"].append(f"{cal['near_duplicates']['qa_frames']} QA frames are near-duplicates of "
                                          "calibration frames (perceptual hash within 6 bits)")
    elif cal:
        cal.pop("phash", None)
    given = data_roles.get("validation_given")
    if given is not None and val_hashes is not None:
        given["near_duplicates"] = across_roles(qa_keys, qa_hashes, val_hashes, "validation set", val_keys)
        if given["near_duplicates"]["pairs"]:
            data_roles["warnings"].append(f"{given['near_duplicates']['qa_frames']} QA frames are near-duplicates of "
                                          "validation frames (perceptual hash within 6 bits)")
