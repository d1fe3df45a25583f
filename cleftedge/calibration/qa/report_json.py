"""report.json (schema-versioned, for machines), the one-line verdict and the end-of-run summary."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.atomic import write_text

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
    doc = {"kind": KIND, "schema": SCHEMA, **report}
    doc["verdict"] = {**report["verdict"], "line": verdict_line(report)}
    write_text(path, json.dumps(doc, indent=1, allow_nan=False, default=_plain) + "\n")


def _plain(o):
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def estimate_text(e: dict | None, percent: bool, ci: bool = True, missing: str = "-",
                  ci_wrap: str = " [{}]") -> str:
    """An estimate and its 95 % interval as text: percentages to 0.1, other figures to 0.0001."""
    if not e or e.get("value") is None:
        return missing
    scale, fmt = (100.0, "{:.1f}") if percent else (1.0, "{:.4f}")
    text = fmt.format(e["value"] * scale)
    if ci and e.get("ci_low") is not None:
        text += ci_wrap.format(f"{fmt.format(e['ci_low'] * scale)}, {fmt.format(e['ci_high'] * scale)}")
    return text


def _pct(e: dict | None) -> str:
    return estimate_text(e, percent=True)


def _num(e: dict | None) -> str:
    return estimate_text(e, percent=False)


def summary_table(report: dict) -> str:
    """A short fixed-width table for the terminal: each figure for both models and the difference."""
    f = report["figures"]
    rows = [("figure (95 % CI)", "reference FP32", "candidate", "difference")]
    for k in ("sensitivity", "specificity", "ppv", "npv"):
        rows.append((k + " %", _pct(f["reference"].get(k)), _pct(f["candidate"].get(k)),
                     _pct(f["difference"].get(k))))
    rows.append(("auc", _num(f["reference"].get("auc")), _num(f["candidate"].get("auc")),
                 _num(f["difference"].get("auc"))))
    fl = report["flips"]
    rows.append(("agreement %", "", _pct(f.get("agreement")), ""))
    rows.append(("decision flips", "", f"{fl['count']} ({(fl['rate'] or 0) * 100:.2f} %)", ""))
    sd = report["score_difference"]
    if sd.get("max_abs") is not None:
        rows.append(("score diff |max| / p99", "", f"{sd['max_abs']:.4f} / {sd['p99_abs']:.4f}", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for c in report["verdict"]["criteria"]:
        lines.append(("  ok    " if c["passed"] else "  FAIL  ") + c["line"])
    return "\n".join(lines)
