"""report.json (schema-versioned, for machines), the one-line verdict and the end-of-run summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cleftedge.atomic import write_text
from cleftedge.calibration.qa.units import number

SCHEMA = 2
KIND = "cleftedge.qa_report"


def _flags(report: dict) -> str:
    """PROXY (why the real engine did not run) and the --allow-* options used, for the verdict line."""
    cand = report["candidate"]
    text = ""
    if cand.get("proxy"):
        reasons = cand.get("proxy_reasons") or [f"{cand.get('intended_backend')} could not run here"]
        text += " [PROXY: " + "; ".join(reasons) + "]"
    allowed = report.get("allowances") or []
    if allowed:
        text += " [ALLOWED: " + ", ".join(a.replace("allow_", "--allow-").replace("_", "-") for a in allowed) + "]"
    return text


def verdict_line(report: dict) -> str:
    """One line: PASS, FAIL with the failing criteria, or INCONCLUSIVE with why the set cannot show
    it; PROXY when the candidate's real engine did not run; the --allow-* options used."""
    v = report["verdict"]
    flags = _flags(report)
    result = v.get("result", "pass" if v["passed"] else "fail")
    if result == "pass":
        ev = report.get("evidence") or {}
        clusters = (f" ({ev['positive_clusters']} positive and {ev['negative_clusters']} negative clusters)"
                    if "positive_clusters" in ev else "")
        return f"QA PASS{flags}: all {len(v['criteria'])} criteria met on {report['data']['frames']} frames{clusters}"
    if result == "inconclusive":
        return (f"QA INCONCLUSIVE{flags}: " + "; ".join(v["reasons"]) +
                " (nothing was shown either way; size the set with 'cleftedge qa-plan')")
    failed = [c for c in v["criteria"] if not c["passed"]]
    return f"QA FAIL{flags}: " + "; ".join(c["line"] for c in failed)


def write_report_json(path: str | Path, report: dict) -> None:
    """Write report.json (kind, schema, the report and its verdict line) whole or not at all."""
    doc = {"kind": KIND, "schema": SCHEMA, **report}
    doc["verdict"] = {**report["verdict"], "line": verdict_line(report)}
    write_text(path, json.dumps(doc, indent=1, allow_nan=False, default=_plain) + "\n")


def _plain(o: object) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def estimate_text(e: dict | None, unit: str, ci: bool = True, missing: str = "-", ci_wrap: str = " [{}]") -> str:
    """An estimate and its 95 % interval in one unit: "%" for rates (to 0.1 %), "pp" for differences
    of rates (to 0.01 pp), "" for the AUC (to 0.0001); never "-0"."""
    if not e or e.get("value") is None:
        return missing
    scale, decimals = {"%": (100.0, 1), "pp": (100.0, 2), "": (1.0, 4)}[unit]
    suffix = f" {unit}" if unit else ""
    text = number(e["value"] * scale, decimals) + suffix
    if ci and e.get("ci_low") is not None:
        text += ci_wrap.format(f"{number(e['ci_low'] * scale, decimals)}, {number(e['ci_high'] * scale, decimals)}")
    return text


RATE_ROWS = ("sensitivity", "specificity", "ppv", "npv")


def summary_table(report: dict) -> str:
    """A short fixed-width table for the terminal: each figure for both models and the difference."""
    f = report["figures"]
    rows = [("figure (95 % CI)", "reference FP32", "candidate", "candidate - reference")]
    for k in RATE_ROWS:
        rows.append((k, estimate_text(f["reference"].get(k), "%"), estimate_text(f["candidate"].get(k), "%"),
                     estimate_text(f["difference"].get(k), "pp")))
    rows.append(("AUC", estimate_text(f["reference"].get("auc"), ""), estimate_text(f["candidate"].get("auc"), ""),
                 estimate_text(f["difference"].get("auc"), "")))
    fl = report["flips"]
    rows.append(("decision agreement", "", estimate_text(f.get("agreement"), "%"), ""))
    rows.append(("decision flips", "", f"{fl['count']} ({number((fl['rate'] or 0) * 100, 2)} %)", ""))
    sd = report["score_difference"]
    if sd.get("max_abs") is not None:
        rows.append(("score diff |max| / p99", "", f"{sd['max_abs']:.4f} / {sd['p99_abs']:.4f}", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for c in report["verdict"]["criteria"]:
        lines.append(("  ok    " if c["passed"] else "  FAIL  ") + c["line"])
    return "\n".join(lines)
