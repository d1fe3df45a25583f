"""Lineage: the candidate must be the reference, quantized. Its calibration record names the FP32
ONNX it was calibrated from (source_sha256): that must be the reference's SHA-256, the file
`export` wrote. And both must read frames and name classes alike: input, preprocessing, classes,
positive classes. Otherwise QA refuses, naming the two hashes or the field, unless
--allow-different-source (recorded). A candidate without a record is judged, with "lineage unknown"
in the report."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from cleftedge.errors import CleftEdgeError

if TYPE_CHECKING:
    from cleftedge.spec import ModelSpec


FIX = "judge the candidate against the FP32 ONNX it was calibrated from, or pass --allow-different-source " \
      "(recorded in the report and the attestation)"


def spec_difference(ref_spec: ModelSpec, cand_spec: ModelSpec) -> str | None:
    """The first field in which the two specs read frames or name classes differently (None: alike)."""
    for f in fields(ref_spec.input):
        a, b = getattr(ref_spec.input, f.name), getattr(cand_spec.input, f.name)
        if a != b:
            return f"input.{f.name} ({a!r} in the reference, {b!r} in the candidate)"
    for name in ("class_names", "positive_classes"):
        a, b = getattr(ref_spec.output, name), getattr(cand_spec.output, name)
        if tuple(a) != tuple(b):
            return f"output.{name} ({list(a)!r} in the reference, {list(b)!r} in the candidate)"
    return None


def check_lineage(reference_sha256: str, ref_spec: ModelSpec | None, cand_spec: ModelSpec | None,
                  record: dict | None, allow: bool) -> dict:
    """The report's lineage; raises when the candidate comes from another model and that is not allowed."""
    source = record.get("source_sha256") if record else None
    difference = spec_difference(ref_spec, cand_spec) if ref_spec is not None and cand_spec is not None else None
    problems = []
    if source and source != reference_sha256:
        problems.append(f"the candidate was calibrated from ONNX {source}, not from the reference {reference_sha256}")
    if difference:
        problems.append(f"the candidate's spec differs from the reference's in {difference}")
    if problems and not allow:
        raise CleftEdgeError(problems[0], "a candidate calibrated from this reference, with the same spec", FIX)
    out: dict[str, Any] = {"reference_sha256": reference_sha256, "candidate_source_sha256": source,
                           "spec_difference": difference, "warnings": []}
    if problems:
        out["status"] = "different_source_allowed"
        out["warnings"] = [p + " (allowed by --allow-different-source)" for p in problems]
    elif source:
        out["status"] = "checked"
    else:
        out["status"] = "unknown"
        out["warnings"] = ["lineage unknown: the candidate carries no calibration record naming the ONNX it was "
                           "calibrated from"]
    return out
