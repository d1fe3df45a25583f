"""Render a scan session as one self-contained HTML page: score over time with the threshold and
the alerts (and the ground truth for simulator sweeps), the flagged frames with the model's heat
map, the latency histogram against the budget, and what ran (model, profile, versions, QA)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from cleftedge.atomic import write_text
from cleftedge.runtime.review import svg

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1d232a}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
.thumbs{display:flex;flex-wrap:wrap;gap:10px}.thumbs figure{margin:0;width:230px}
.thumbs img{width:230px;border-radius:4px}.muted{color:#6b7580;font-size:13px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-1px}"""


@dataclass
class FlaggedFrame:
    frame: int
    score: float
    jpeg: bytes  # annotated, heat map over the sector, everything outside the sector black
    alert_id: int | None = None
    clean: bytes | None = None  # the same frame small and clean (JPEG, outside the sector black)
    size: tuple[int, int] | None = None  # (width, height) of `clean`
    heat_png: bytes | None = None  # the heat map as a translucent BGRA PNG over `clean`
    outline: tuple = ()  # (level, ((x, y), ...)) polygons of the heat map, 0..1 image coordinates


@dataclass
class SessionData:
    session: str
    source: str
    threshold: float
    events: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    flagged: list[FlaggedFrame] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)  # end-to-end samples
    budget_ms: float | None = None
    fps: float | None = None
    truth: list[tuple[int, bool, bool]] | None = None  # (frame, in_plane, cleft)
    model_info: dict = field(default_factory=dict)


def _seconds(frame: int, fps: float | None) -> float:
    return frame / fps if fps else float(frame)


def _spans(data: SessionData) -> list[tuple[float, float, str, str]]:
    spans = []
    fps = data.fps
    if data.truth:
        run_start = None
        for frame, in_plane, cleft in [*data.truth, (data.truth[-1][0] + 1, False, False)]:
            if cleft and in_plane and run_start is None:
                run_start = frame
            elif not (cleft and in_plane) and run_start is not None:
                spans.append((_seconds(run_start, fps), _seconds(frame, fps), "#f6d6cf", "cleft in view (truth)"))
                run_start = None
    raised = {e["alert_id"]: e for e in data.events if e.get("type") == "alert_raised"}
    last_frame = max((e.get("frame", 0) or 0 for e in data.events), default=0)
    cleared = {e["alert_id"]: e for e in data.events if e.get("type") == "alert_cleared"}
    for alert_id, ev in raised.items():
        end = cleared.get(alert_id, {}).get("end_frame", last_frame)
        spans.append((_seconds(ev["frame"], fps), _seconds(end, fps), "rgba(217,164,65,0.35)", f"alert {alert_id}"))
    return spans


def _alert_rows(data: SessionData) -> str:
    raised = [e for e in data.events if e.get("type") == "alert_raised"]
    cleared = {e["alert_id"]: e for e in data.events if e.get("type") == "alert_cleared"}
    if not raised:
        return '<p id="no-alerts">No alert was raised in this session.</p>'
    rows = []
    for e in raised:
        c = cleared.get(e["alert_id"], {})
        end = c.get("end_frame", "still active at the end")
        rows.append(f"<tr><td>{e['alert_id']}</td><td>{e['frame']}</td><td>{_seconds(e['frame'], data.fps):.1f}"
                    f"</td><td>{end}</td><td>{c.get('peak_score', e.get('score', 0)):.2f}</td>"
                    f"<td>{c.get('best_frame', '')}</td></tr>")
    return ("<table><tr><th>alert</th><th>first frame</th><th>at (s)</th><th>cleared at frame</th>"
            "<th>peak score</th><th>best frame</th></tr>" + "".join(rows) + "</table>")


def _thumbs(data: SessionData) -> str:
    if not data.flagged:
        return "<p>No frame was flagged.</p>"
    figs = []
    for f in data.flagged:
        uri = "data:image/jpeg;base64," + base64.b64encode(f.jpeg).decode()
        figs.append(f'<figure><img src="{uri}" alt="frame {f.frame}"><figcaption>frame {f.frame}, score '
                    f'{f.score:.2f}{"" if f.alert_id is None else f", alert {f.alert_id}"}</figcaption></figure>')
    return '<div class="thumbs">' + "".join(figs) + "</div>"


def _table(rows: dict) -> str:
    body = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows.items())
    return f"<table>{body}</table>"


def _latency(data: SessionData) -> str:
    lat = data.summary.get("latency", {}).get("end_to_end", {})
    head = _table({k: f"{v:.2f} ms" if isinstance(v, float) else v for k, v in lat.items()}) if lat else ""
    chart = svg.histogram(data.latency_ms, data.budget_ms) if data.latency_ms else "<p>No latency samples.</p>"
    return head + chart


def render_session_report(data: SessionData) -> str:
    scores = [e for e in data.events if e.get("type") == "score"]
    t = [_seconds(e["frame"], data.fps) for e in scores]
    timeline = svg.timeline(t, [e["score"] for e in scores], data.threshold, _spans(data))
    s = data.summary
    n_alerts = len([e for e in data.events if e.get("type") == "alert_raised"])
    overview = {"session": data.session, "source": data.source, "frames": s.get("frames", len(scores)),
                "dropped": s.get("dropped", 0), "alerts": n_alerts, "threshold": f"{data.threshold:.3f}"}
    legend = ('<p class="legend muted">score (blue), threshold (dashed red)<span style="background:'
              'rgba(217,164,65,0.6)"></span>alert<span style="background:#f6d6cf"></span>cleft in view '
              "(ground truth, simulator sweeps only)</p>")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>cleftedge session {escape(data.session)}</title><style>{STYLE}</style></head><body>
<h1>Scan session review</h1>
<p class="muted">Decision support only. The reference model is trained on synthetic frames and is not for clinical
use.</p>
<section id="summary"><h2>Summary</h2>{_table(overview)}</section>
<section id="timeline-section"><h2>Score over time</h2>{timeline}{legend}</section>
<section id="alerts"><h2>Alerts</h2>{_alert_rows(data)}</section>
<section id="flagged"><h2>Flagged frames, with where the model looked</h2>{_thumbs(data)}</section>
<section id="latency"><h2>Latency against the budget ({data.budget_ms or "none"} ms)</h2>{_latency(data)}</section>
<section id="bundle"><h2>What ran</h2>{_table(data.model_info) if data.model_info else "<p>unknown</p>"}</section>
</body></html>
"""


def write_session_report(path: str | Path, data: SessionData) -> Path:
    write_text(path, render_session_report(data))
    return Path(path)
