"""The parts of report.html a QA lead signs: the verdict with its warnings and next steps, the
evidence, the policy beside each criterion, what ran (as tables), the hashes of everything judged
and the sign-off block for the printed report."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from cleftedge.calibration.qa.report_json import verdict_line
from cleftedge.calibration.qa.units import figure_text, number

DASH = "&ndash;"
RESULT_CLASS = {"pass": "pass", "fail": "fail", "inconclusive": "inconclusive"}


def verdict_class(report: dict) -> str:
    """pass (green) only for a real pass: a PROXY pass is amber (proxy-pass), never green."""
    result = report["verdict"].get("result", "pass" if report["verdict"]["passed"] else "fail")
    if result == "pass" and report["candidate"].get("proxy"):
        return "proxy-pass"
    return RESULT_CLASS[result]


def _items(lines: list[str], cls: str = "") -> str:
    return "".join(f'<li class="{cls}">{escape(x)}</li>' if cls else f"<li>{escape(x)}</li>" for x in lines)


def verdict(report: dict) -> str:
    """The report page's verdict box: PASS, PASS (PROXY), FAIL or INCONCLUSIVE and the reasons."""
    v = report["verdict"]
    cls = verdict_class(report)
    title = {"pass": "PASS", "proxy-pass": "PASS (PROXY)", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}[cls]
    proxy = ""
    cand = report["candidate"]
    if cand.get("proxy"):
        reasons = "; ".join(cand.get("proxy_reasons") or [])
        proxy = (f'<p class="proxy" id="proxy">PROXY: {escape(reasons)}. This is not the engine that ships: '
                 f'rerun QA where it runs before signing off.</p>')
    criteria = "".join(f'<li>{"ok" if c["passed"] else "<b>FAILED</b>"}: {escape(c["line"])}</li>'
                       for c in v["criteria"])
    extra = ""
    if v.get("inconclusive"):
        extra += f'<p><b>Why nothing was shown:</b></p><ul>{_items(v["inconclusive"])}</ul>'
    if report.get("warnings"):
        extra += f'<p><b>Warnings:</b></p><ul>{_items(report["warnings"], "warning")}</ul>'
    if report.get("next_steps"):
        extra += f'<p><b>What to try next:</b></p><ul id="next-steps">{_items(report["next_steps"])}</ul>'
    return (f'<section id="verdict" class="{cls}"><h2>Verdict: {title}</h2><p>{escape(verdict_line(report))}</p>'
            f'{proxy}<ul>{criteria}</ul>{extra}</section>')


def evidence(report: dict) -> str:
    """The report page's evidence section: interval methods, near-duplicates, ledger and data roles."""
    ev = report.get("evidence") or {}
    near = report.get("near_duplicates") or {}
    ledger = report.get("ledger") or {}
    rows = [("frames", ev.get("frames")), ("cases (clusters of the intervals)", ev.get("cases")),
            ("positive clusters (cases with a cleft frame)",
             f"{ev.get('positive_clusters')} (minimum {ev.get('minimum_positive_clusters')})"),
            ("negative clusters (cases with a no-cleft frame)",
             f"{ev.get('negative_clusters')} (minimum {ev.get('minimum_negative_clusters')})"),
            ("near-duplicate chains merged", f"{near.get('chains', 0)} (of {near.get('clusters_before', '?')} "
                                             f"cases, {near.get('clusters_after', '?')} clusters remain)"),
            ("QA runs of this reference on this locked set", ledger.get("runs_on_this_data", DASH))]
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return (f'<section id="evidence"><h2>Evidence</h2><table>{body}</table><p class="muted">Frames of one case are '
            'not independent: the intervals count cases (merged with their near-duplicates), through the design '
            'effect of each criterion (below). A set below the minimums cannot pass even with a perfect candidate.'
            '</p></section>')


def _interval_text(values: Sequence[float | None] | None, unit: str) -> str:
    if not values or values[0] is None or values[1] is None:
        return DASH
    return f"[{figure_text(values[0], unit)}, {figure_text(values[1], unit)}]"


def criteria(report: dict) -> str:
    """The policy beside each criterion: limit, rule, bound, the interval that decided, design effect."""
    head = ("<tr><th>criterion</th><th>policy limit</th><th>judged on</th><th>bound</th><th>decided by</th>"
            "<th>analytic interval</th><th>bootstrap interval</th><th>design effect</th><th>effective n</th>"
            "<th>result</th></tr>")
    rows = []
    for c in report["verdict"]["criteria"]:
        unit = c["unit"]
        intervals = c.get("intervals") or {}
        analytic = next((v for k, v in intervals.items() if k != "bootstrap"), None)
        ev = c.get("evidence") or {}
        deff = ev.get("design_effect")
        n_eff = ev.get("effective_n")
        rows.append(f"<tr><td>{escape(c['label'])}</td><td>{escape(figure_text(c['limit'], unit))}</td>"
                    f"<td style='text-align:left'>{escape(c['rule'])}</td>"
                    f"<td>{escape(figure_text(c['bound'], unit))}</td><td>{escape(str(c['deciding_interval']))}</td>"
                    f"<td>{escape(_interval_text(analytic, unit))}</td>"
                    f"<td>{escape(_interval_text(intervals.get('bootstrap'), unit))}</td>"
                    f"<td>{DASH if deff is None else number(deff, 2)}</td>"
                    f"<td>{DASH if n_eff is None else number(n_eff, 1)}</td>"
                    f"<td>{'pass' if c['passed'] else '<b>FAIL</b>'}</td></tr>")
    policy = report["policy"]
    keys = "".join(f"<tr><td>{escape(k)}</td><td>{escape(DASH if v is None else str(v))}</td></tr>"
                   for k, v in policy.items())
    return (f'<section id="criteria"><h2>Criteria and policy</h2><table>{head}{"".join(rows)}</table>'
            f'<p class="muted">Each criterion is judged on the more conservative of an analytic interval that '
            f'respects the clustering (Tango for paired rates, Clopper-Pearson on the Korn-Graubard effective n '
            f'for agreement, Obuchowski for the AUC) and the case-clustered bootstrap. Differences in percentage '
            f'points (pp), rates in %.</p><h3>Effective policy</h3><table>{keys}</table>'
            f'<p class="muted">policy SHA-256 {escape(str(report.get("policy_sha256")))}</p></section>')


def _flat(prefix: str, value: object, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        out.append((prefix, ", ".join(str(x) for x in value) if value else DASH))
    else:
        out.append((prefix, DASH if value is None else str(value)))


def kv_table(title: str, value: dict, skip: tuple[str, ...] = ()) -> str:
    """A nested dictionary as a two-column HTML table of dotted keys (leaving out `skip`)."""
    rows: list[tuple[str, str]] = []
    _flat("", {k: v for k, v in value.items() if k not in skip}, rows)
    body = "".join(f"<tr><td>{escape(k)}</td><td style='text-align:left'>{escape(v)}</td></tr>" for k, v in rows)
    return f"<h3>{escape(title)}</h3><table>{body}</table>"


def provenance(report: dict) -> str:
    """What ran, as tables: the tool, the reference, the candidate, the QA set, the calibration record."""
    tool = {"cleftedge version": report.get("cleftedge_version"), "report created": report.get("created")}
    parts = [kv_table("Tool", tool), kv_table("Reference (FP32)", report["reference"]),
             kv_table("Candidate", report["candidate"]), kv_table("QA set", report["data"])]
    record = report.get("calibration_record")
    parts.append(kv_table("The candidate's calibration record", record) if record else
                 '<h3>The candidate\'s calibration record</h3><p class="muted">none: data-set separation and '
                 'lineage unknown</p>')
    return f'<section id="provenance"><h2>What ran</h2>{"".join(parts)}</section>'


def hashes(report: dict) -> str:
    """The report page's hashes section: models, data sets, policy and record, for the sign-off."""
    roles = report.get("data_roles") or {}
    record = report.get("calibration_record") or {}
    validation = (roles.get("validation") or {}).get("data_hash") or (roles.get("validation_given") or {}).get(
        "data_hash")
    calibration = (roles.get("calibration") or {}).get("data_hash") or record.get("data_hash")
    sig = (report["reference"].get("scores_signature") or {})
    rows = [("reference model (FP32 ONNX)", report["reference"]["sha256"]),
            ("candidate (engine)", report["candidate"]["sha256"]),
            ("QA set (content hash)", report["data"]["content_hash"]),
            ("validation set", validation), ("calibration set", calibration),
            ("the reference the candidate was calibrated from", (report.get("lineage") or {}).get(
                "candidate_source_sha256")),
            ("policy", report.get("policy_sha256")),
            ("reference scores signed by key", sig.get("key_id") if sig else None)]
    body = "".join(f"<tr><td>{escape(k)}</td><td style='text-align:left'><code>{escape(v or 'unknown')}</code>"
                   f"</td></tr>" for k, v in rows)
    sep = roles.get("separation", "unknown")
    return (f'<section id="hashes"><h2>Hashes</h2><table>{body}</table><p>Data-set separation: <b>{escape(sep)}</b>; '
            f'lineage: <b>{escape(str((report.get("lineage") or {}).get("status", "unknown")))}</b>.</p></section>')


def signoff() -> str:
    """The report page's empty sign-off table (name, role, date, signature)."""
    lines = "".join(f"<tr><td>{k}</td><td class='line'></td></tr>" for k in ("Name", "Role", "Date", "Signature"))
    return (f'<section id="signoff"><h2>Sign-off</h2><p>I have reviewed this report, the evidence and the '
            f'hashes above.</p><table class="signoff">{lines}</table></section>')
