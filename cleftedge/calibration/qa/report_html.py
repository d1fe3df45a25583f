"""report.html: one self-contained page for people (no external loads; images as data URIs,
charts as inline SVG), printable for a sign-off. Sections carry stable ids: verdict, evidence,
criteria, figures, roc, scatter, flips, sites, labels, cases, alerts, retune, provenance, hashes,
signoff. One unit per figure: pp for differences, % for rates."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import numpy as np

from cleftedge.atomic import write_text
from cleftedge.calibration.qa import charts, report_sections
from cleftedge.calibration.qa.report_json import RATE_ROWS, estimate_text
from cleftedge.calibration.qa.units import number

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1d232a}
h1{font-size:22px}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 9px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.pass{background:#e3f4e6;border-left:6px solid #2e8b47}
.fail{background:#fbe6e3;border-left:6px solid #c0392b}#verdict{padding:10px 16px;border-radius:4px}
.proxy-pass{background:#fdf1dc;border-left:6px solid #d98c1f}
.inconclusive{background:#eef0f3;border-left:6px solid #6b7580}.warning{color:#8a4b00}
.proxy{font-weight:bold;color:#8a4b00}.thumbs{display:flex;flex-wrap:wrap;gap:10px}
.thumbs figure{margin:0;width:200px;font-size:12px}.thumbs img{width:200px;border-radius:4px}
.muted{color:#6b7580;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:20px}
.signoff td.line{width:420px;border-bottom:1px solid #555;height:30px}
@media print{.charts{break-inside:avoid}#signoff{break-before:page}}"""

_CI_HTML = ' <span class="muted">[{}]</span>'


def _est(e: dict | None, unit: str, ci: bool = True) -> str:
    return estimate_text(e, unit, ci=ci, missing="&ndash;", ci_wrap=_CI_HTML)


def _figures(report: dict) -> str:
    f = report["figures"]
    rows = []
    for k in RATE_ROWS:
        rows.append(f"<tr><td>{k}</td><td>{_est(f['reference'].get(k), '%')}</td>"
                    f"<td>{_est(f['candidate'].get(k), '%')}</td><td>{_est(f['difference'].get(k), 'pp')}</td></tr>")
    rows.append(f"<tr><td>AUC</td><td>{_est(f['reference'].get('auc'), '')}</td>"
                f"<td>{_est(f['candidate'].get('auc'), '')}</td><td>{_est(f['difference'].get('auc'), '')}</td></tr>")
    rows.append(f"<tr><td>decision agreement</td><td></td><td>{_est(f.get('agreement'), '%')}</td><td></td></tr>")
    sd = report["score_difference"]
    sd_text = ", ".join(f"{k} {v:.4g}" for k, v in sd.items() if v is not None)
    clustered = (f"clustered by case ({f['clusters']} clusters)" if f["clustered"] else "frame-level (no case ids)")
    return (f'<section id="figures"><h2>Figures at the operating threshold</h2><table><tr><th>figure</th>'
            f'<th>reference FP32</th><th>candidate</th><th>difference (cand &minus; ref)</th></tr>{"".join(rows)}'
            f'</table><p class="muted">{f["frames"]} frames, {f["positives"]} with a cleft. Intervals here: 95 %, '
            f'{report["policy"]["resamples"]} bootstrap resamples, {clustered}, seed {report["policy"]["seed"]}; '
            f'the verdict also takes the analytic intervals (see Criteria). Score difference (candidate &minus; '
            f'reference): {escape(sd_text)}.</p></section>')


def _conservative(row: dict, figure: str) -> dict | None:
    """A group's paired difference with the more conservative of its bootstrap and analytic intervals."""
    boot = row["difference"].get(figure) or {}
    ana = (row.get("analytic") or {}).get(f"{figure}_difference") or {}
    if boot.get("value") is None:
        return None
    lows = [v for v in (boot.get("ci_low"), ana.get("low")) if v is not None]
    highs = [v for v in (boot.get("ci_high"), ana.get("high")) if v is not None]
    return {"value": boot["value"], "ci_low": min(lows) if lows else None, "ci_high": max(highs) if highs else None}


def _group_table(section_id: str, title: str, rows: list[dict], empty: str) -> str:
    if not rows:
        return f'<section id="{section_id}"><h2>{title}</h2><p class="muted">{empty}</p></section>'
    head = ("<tr><th>group</th><th>frames</th><th>clefts</th><th>clusters (+ / &minus;)</th><th>sens ref</th>"
            "<th>sens cand</th><th>&Delta; sens</th><th>spec ref</th><th>spec cand</th><th>&Delta; spec</th>"
            "<th>flips</th><th>max |&Delta; score|</th></tr>")
    body = []
    for r in rows:
        ref, cand = r["reference"], r["candidate"]
        mx = r["score_difference"].get("max_abs")
        clusters = f"{r.get('positive_clusters', '')} / {r.get('negative_clusters', '')}"
        body.append(f"<tr><td>{escape(str(r['group']))}</td><td>{r['frames']}</td><td>{r['positives']}</td>"
                    f"<td>{clusters}</td><td>{_est(ref.get('sensitivity'), '%', False)}</td>"
                    f"<td>{_est(cand.get('sensitivity'), '%', False)}</td>"
                    f"<td>{_est(_conservative(r, 'sensitivity'), 'pp')}</td>"
                    f"<td>{_est(ref.get('specificity'), '%', False)}</td>"
                    f"<td>{_est(cand.get('specificity'), '%', False)}</td>"
                    f"<td>{_est(_conservative(r, 'specificity'), 'pp')}</td>"
                    f"<td>{r['flips']['count']}</td><td>{'&ndash;' if mx is None else f'{mx:.4f}'}</td></tr>")
    note = ('<p class="muted">&Delta; intervals: the more conservative of the case-clustered bootstrap and '
            'Tango\'s score interval on effective counts, in pp.</p>')
    return f'<section id="{section_id}"><h2>{title}</h2><table>{head}{"".join(body)}</table>{note}</section>'


def _flips(report: dict, thumbs: dict[str, bytes]) -> str:
    fl = report["flips"]
    frames = fl["frames"]
    figs = []
    for f in frames:
        jpeg = thumbs.get(f["key"])
        if jpeg is None:
            continue
        uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        figs.append(f'<figure><img src="{uri}" alt="{escape(f["key"])}"><figcaption>{escape(f["key"])}<br>'
                    f'{escape(f["label"])}, {escape(f["change"])}<br>ref {f["reference_score"]:.3f} &rarr; cand '
                    f'{f["candidate_score"]:.3f}</figcaption></figure>')
    rows = "".join(f"<tr><td>{escape(f['key'])}</td><td>{escape(str(f['label']))}</td>"
                   f"<td>{escape(str(f['case_id'] or ''))}</td><td>{escape(str(f['site'] or ''))}</td>"
                   f"<td>{f['reference_score']:.4f}</td><td>{f['candidate_score']:.4f}</td>"
                   f"<td>{escape(f['change'])}</td></tr>" for f in frames)
    table = (f"<table><tr><th>frame</th><th>label</th><th>case</th><th>site</th><th>reference</th>"
             f"<th>candidate</th><th>change</th></tr>{rows}</table>") if frames else ""
    return (f'<section id="flips"><h2>Decision flips: {fl["count"]} ({number((fl["rate"] or 0) * 100, 2)} %)</h2>'
            f'<p>{fl["candidate_misses"]} frames the candidate misses, {fl["candidate_adds"]} it adds.</p>'
            f'<div class="thumbs">{"".join(figs)}</div>{table}</section>')


def _cases(report: dict) -> str:
    c = report.get("cases")
    if not c:
        return '<section id="cases"><h2>Per case</h2><p class="muted">The data set has no case ids.</p></section>'
    flipped = ", ".join(escape(x["key"]) for x in c["flipped_cases"][:50]) or "none"
    row = {"group": "cases (flagged when any frame is)", **c}
    return _group_table("cases", "Per case", [row], "") .replace(
        "</section>", f"<p>Cases whose decision flips: {flipped}</p></section>")


def _alerts(report: dict) -> str:
    a = report.get("alerts")
    if not a:
        return '<section id="alerts"><h2>Alert parity</h2><p class="muted">Not run (no --sweeps).</p></section>'
    rows = "".join(f"<tr><td>{escape(s['sweep'])}</td><td>{s['reference_alerts']}</td><td>{s['candidate_alerts']}"
                   f"</td><td>{s['missed']}</td><td>{s['added']}</td><td>{_ms(s.get('time_to_alert_diff_s'))}</td>"
                   f"</tr>" for s in a["sweeps"])
    return (f'<section id="alerts"><h2>Alert parity on {len(a["sweeps"])} sweeps</h2><table><tr><th>sweep</th>'
            f'<th>ref alerts</th><th>cand alerts</th><th>missed</th><th>added</th><th>&Delta; time to alert (s)</th>'
            f'</tr>{rows}</table><p>{a["missed"]} missed, {a["added"]} added in all.</p></section>')


def _ms(v: float | None) -> str:
    return "&ndash;" if v is None else f"{v:+.3f}"


def _retune(report: dict) -> str:
    r = report.get("retuned_threshold")
    if not r:
        return ('<section id="retune"><h2>Threshold re-tuning</h2><p class="muted">Not run '
                '(--retune-threshold with --val-data).</p></section>')
    v = r.get("verdict", {})
    return (f'<section id="retune"><h2>Threshold re-tuning</h2><p>On the validation set, threshold '
            f'<b>{r["threshold"]:.6g}</b> (was {r["reference_threshold"]:g}) restores the reference sensitivity '
            f'{_est({"value": r["target_sensitivity"]}, "%", False)}. On the QA set at that threshold: '
            f'<b>{escape(str(v.get("result", "fail")).upper())}</b>; sensitivity difference '
            f'{_est(r["qa_figures"]["difference"].get("sensitivity"), "pp")}, specificity difference '
            f'{_est(r["qa_figures"]["difference"].get("specificity"), "pp")}. '
            f'{escape(str(r.get("action", "")))}.</p></section>')


def render_html(report: dict, ref: np.ndarray, cand: np.ndarray, flipped: np.ndarray,
                thumbs: dict[str, bytes]) -> str:
    """The QA report page from the report's dictionary, both models' per-frame scores (the scatter), the mask of
    the frames whose decision flipped, and the flipped frames' thumbnails (JPEG by frame key)."""
    f = report["figures"]
    plots = report["plots"]
    op = report["operating_points"]
    roc = charts.roc(plots["roc_reference"], plots["roc_candidate"], op["reference"], op["candidate"],
                     f["reference"].get("auc", {}).get("value"), f["candidate"].get("auc", {}).get("value"))
    scatter = charts.scatter(ref, cand, flipped, report["reference"]["threshold"], report["candidate"]["threshold"])
    body = [f"<h1>Parity QA: {escape(Path(str(report['candidate']['path'])).name)} vs FP32 reference</h1>",
            f"<p class='muted'>cleftedge {escape(str(report.get('cleftedge_version')))}, report created "
            f"{escape(str(report.get('created')))}</p>",
            report_sections.verdict(report), report_sections.evidence(report), report_sections.criteria(report),
            _figures(report),
            f'<div class="charts"><section id="roc"><h2>ROC curves</h2>{roc}</section>'
            f'<section id="scatter"><h2>Score scatter (FP32 vs candidate)</h2>{scatter}</section></div>',
            _flips(report, thumbs),
            _group_table("sites", "Per site", report["sites"], "The data set names no sites."),
            _group_table("labels", "Per data-set label and severity band", report["labels"], "No labels."),
            _cases(report), _alerts(report), _retune(report), report_sections.provenance(report),
            report_sections.hashes(report), report_sections.signoff()]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>cleftedge QA report</title>'
            f'<style>{STYLE}</style></head><body>{"".join(body)}</body></html>\n')


def write_report_html(path: str | Path, report: dict, ref: np.ndarray, cand: np.ndarray, flipped: np.ndarray,
                      thumbs: dict[str, bytes]) -> None:
    """Write the report page (see `render_html`: both models' per-frame scores, the flipped frames' mask and
    the thumbnails by frame key) whole or not at all."""
    write_text(path, render_html(report, ref, cand, flipped, thumbs))
