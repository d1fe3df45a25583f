"""Render a scan session as one self-contained HTML page: when and how long, score over time with
the threshold, the alerts, the paused and frozen spans and the frame errors (and the ground truth
for simulator sweeps), the dropped frames with their reason, the flagged frames clean and with the
model's heat map, the latency histogram against the budget, and what ran (model, profile, versions,
QA). The score plot is drawn at the screen's resolution, so a long session's report stays small."""

from __future__ import annotations

import base64
import time
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np

from cleftedge.atomic import write_text
from cleftedge.runtime import event_types
from cleftedge.runtime.review import svg

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1d232a}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
.thumbs{display:flex;flex-wrap:wrap;gap:14px}.thumbs figure{margin:0}.thumbs img{width:230px;border-radius:4px}
.pair{display:flex;gap:4px}.pair svg{width:230px;height:auto;border-radius:4px;background:#000}
.muted{color:#6b7580;font-size:13px}
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
    # "frames": seconds are frame / fps (a file played as fast as possible: the video's own time);
    # "wall": seconds since the start on the wall clock (a live or real-time session, pauses included)
    timebase: str = "frames"
    started: float | None = None  # Unix seconds
    ended: float | None = None
    best_frames_limit: int | None = None  # alerts the best-frame store keeps frames for, at most


PAUSED, FROZEN = "rgba(120,126,134,0.35)", "rgba(92,155,209,0.30)"
DROP_REASON = ("replaced by a newer frame while the model was busy (the live source came faster than "
               "inference)")


class Clock:
    """Seconds into the session for frames, score points and events, on the session's own timebase."""

    def __init__(self, data: SessionData) -> None:
        scores = [e for e in data.events if e.get("type") == event_types.SCORE]
        self.fps = data.fps
        self.frames = np.array([e["frame"] for e in scores], float)
        t = np.array([e.get("t", np.nan) for e in scores], float)
        self.t: np.ndarray | None = t if t.size and not np.isnan(t).any() else None
        starts = [e["t"] for e in data.events if "t" in e]
        self.t0: float | None = data.started if data.started is not None else min(starts, default=None)
        self.wall = data.timebase == "wall" and self.t is not None and self.t0 is not None
        self.x: np.ndarray = (self.t - self.t0 if self.wall and self.t is not None and self.t0 is not None
                              else np.array([self._of_frame(f) for f in self.frames]))
        self._by_frame = dict(zip(self.frames.astype(int).tolist(), self.x.tolist(), strict=True))

    def _of_frame(self, frame: float) -> float:
        return frame / self.fps if self.fps else float(frame)

    def frame(self, frame: int) -> float:
        """Seconds into the session of a frame (where it was scored, else by the frame rate)."""
        x = self._by_frame.get(int(frame))
        return x if x is not None else self._of_frame(frame)

    def event(self, e: dict) -> float | None:
        """Where an event falls: by its own time on the wall clock, else between the frames scored around it."""
        if "t" in e and self.wall:
            return e["t"] - self.t0
        if "t" in e and self.t is not None and self.t.size:
            return float(np.interp(e["t"], self.t, self.x))
        return self.frame(e["frame"]) if "frame" in e else None


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return " ".join(f"{v} {u}" for v, u in ((h, "h"), (m, "min"), (s, "s")) if v) or "0 s"


def _state_spans(data: SessionData, clock: Clock, end: float) -> list[tuple[float, float, str, str]]:
    """Paused and frozen stretches, from the state events: each lasts until the next state."""
    states = sorted((e for e in data.events if e.get("type") == event_types.STATE and "t" in e), key=lambda e: e["t"])
    spans = []
    for i, e in enumerate(states):
        nxt = states[i + 1] if i + 1 < len(states) else None
        if e["state"] not in ("paused", "frozen"):
            continue
        a = clock.event(e)
        b = clock.event(nxt) if nxt is not None else end
        if a is None or b is None:
            continue
        what = "AI paused" if e["state"] == "paused" else "image frozen"
        reason = f": {e['reason']}" if e.get("reason") and e["state"] == "paused" else ""
        spans.append((a, max(a, b), PAUSED if e["state"] == "paused" else FROZEN,
                      f"{what}{reason} ({max(0.0, b - a):.1f} s)"))
    return spans


def _spans(data: SessionData, clock: Clock, end: float) -> list[tuple[float, float, str, str]]:
    spans = []
    if data.truth:
        run_start = None
        for frame, in_plane, cleft in [*data.truth, (data.truth[-1][0] + 1, False, False)]:
            if cleft and in_plane and run_start is None:
                run_start = frame
            elif not (cleft and in_plane) and run_start is not None:
                spans.append((clock.frame(run_start), clock.frame(frame), "#f6d6cf", "cleft in view (truth)"))
                run_start = None
    spans += _state_spans(data, clock, end)
    raised = {e["alert_id"]: e for e in data.events if e.get("type") == event_types.ALERT_RAISED}
    last_frame = max((e.get("frame", 0) or 0 for e in data.events), default=0)
    cleared = {e["alert_id"]: e for e in data.events if e.get("type") == event_types.ALERT_CLEARED}
    for alert_id, ev in raised.items():
        end_frame = cleared.get(alert_id, {}).get("end_frame", last_frame)
        spans.append((clock.frame(ev["frame"]), clock.frame(end_frame), "rgba(217,164,65,0.35)",
                      f"alert {alert_id}"))
    return spans


def _alerts_at_end(data: SessionData) -> dict:
    """The summary's alert records by id: an alert still open at the end has its peak and best frame there."""
    alerts = data.summary.get("alerts")
    alerts = alerts if isinstance(alerts, list) else []  # a count in older summaries
    return {a["alert_id"]: a for a in alerts if isinstance(a, dict) and "alert_id" in a}


def _alert_rows(data: SessionData, clock: Clock) -> str:
    raised = [e for e in data.events if e.get("type") == event_types.ALERT_RAISED]
    cleared = {e["alert_id"]: e for e in data.events if e.get("type") == event_types.ALERT_CLEARED}
    records = _alerts_at_end(data)
    if not raised:
        return '<p id="no-alerts">No alert was raised in this session.</p>'
    rows = []
    for e in raised:
        c = cleared.get(e["alert_id"]) or records.get(e["alert_id"], {})
        end = c.get("end_frame")
        end = "still open at the end" if end is None else end
        best = c.get("best_frame", "")
        rows.append(f"<tr><td>{e['alert_id']}</td><td>{e['frame']}</td><td>{clock.frame(e['frame']):.1f}"
                    f"</td><td>{end}</td><td>{c.get('peak_score', e.get('score', 0)):.2f}</td>"
                    f"<td>{best}</td></tr>")
    return ("<table><tr><th>alert</th><th>first frame</th><th>at (s)</th><th>cleared at frame</th>"
            "<th>peak score</th><th>best frame</th></tr>" + "".join(rows) + "</table>")


def _uri(kind: str, blob: bytes) -> str:
    return f"data:image/{kind};base64," + base64.b64encode(blob).decode()


def _pair(f: FlaggedFrame, n: int, clean_jpeg: bytes, size: tuple[int, int]) -> str:
    """The frame clean and with its heat map (a translucent layer and an outline), the image sent once."""
    w, h = size
    box = f'viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img"'
    clean = (f'<svg class="clean" {box} aria-label="frame {f.frame}, clean"><image id="flag-img-{n}" '
             f'href="{_uri("jpeg", clean_jpeg)}" width="{w}" height="{h}"/></svg>')
    heat = [f'<svg class="heat" {box} aria-label="frame {f.frame}, where the model looked">'
            f'<use href="#flag-img-{n}"/>']
    if f.heat_png:
        heat.append(f'<image href="{_uri("png", f.heat_png)}" width="{w}" height="{h}" preserveAspectRatio="none"/>')
    for level, poly in f.outline:
        pts = " ".join(f"{x * w:.1f},{y * h:.1f}" for x, y in poly)
        colour = "#ffd700" if level < max(lv for lv, _ in f.outline) else "#d9a441"
        heat.append(f'<polygon class="heat-outline" points="{pts}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5"/>')
    if not f.heat_png and not f.outline:
        heat.append('<text x="6" y="16" font-size="12" fill="#ddd">no heat map</text>')
    heat.append("</svg>")
    return f'<div class="pair">{clean}{"".join(heat)}</div>'


def _thumbs(data: SessionData, clock: Clock) -> str:
    if not data.flagged:
        return "<p>No frame was flagged.</p>"
    figs = []
    for n, f in enumerate(data.flagged):
        view = (_pair(f, n, f.clean, f.size) if f.clean and f.size
                else f'<img src="{_uri("jpeg", f.jpeg)}" alt="frame {f.frame}">')
        figs.append(f'<figure class="flagged-frame">{view}<figcaption>frame {f.frame} at '
                    f'{clock.frame(f.frame):.1f} s, score {f.score:.2f}'
                    f'{"" if f.alert_id is None else f", alert {f.alert_id}"}</figcaption></figure>')
    note = '<p class="muted">Each frame clean (left) and with where the model looked (right).</p>'
    return note + _missing_frames(data) + '<div class="thumbs">' + "".join(figs) + "</div>"


def _missing_frames(data: SessionData) -> str:
    raised = [e["alert_id"] for e in data.events if e.get("type") == event_types.ALERT_RAISED]
    kept = {f.alert_id for f in data.flagged}
    missing = [a for a in raised if a not in kept]
    if not missing:
        return ""
    limit = data.best_frames_limit
    why = (f"the best-frame store keeps frames for at most {limit} alerts and was full"
           if limit is not None and len(kept - {None}) >= limit else "no flagged frame of theirs was kept")
    return (f'<p id="frames-not-kept"><strong>{len(missing)} of {len(raised)} alerts have no frames kept</strong>'
            f" ({why}; the first is alert {missing[0]}). Their times and peak scores are in the table above.</p>")


def _drops(data: SessionData) -> str:
    errors = Counter(e.get("reason", "unknown") for e in data.events if e.get("type") == event_types.FRAME_ERROR)
    rows = []
    if data.summary.get("dropped"):
        rows.append((DROP_REASON, data.summary["dropped"]))
    rows += [(f"could not be scored: {reason}", n) for reason, n in errors.most_common()]
    unlisted = (data.summary.get("frame_errors") or 0) - sum(errors.values())
    if unlisted > 0:
        rows.append(("could not be scored (reason not kept: the review keeps the latest frame errors)", unlisted))
    if not rows:
        return '<p id="no-drops">No frame was dropped.</p>'
    body = "".join(f"<tr><td>{escape(str(why))}</td><td>{n}</td></tr>" for why, n in rows)
    return f'<table id="drop-table"><tr><th>why</th><th>frames</th></tr>{body}</table>'


def _table(rows: dict) -> str:
    body = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows.items())
    return f"<table>{body}</table>"


def _latency(data: SessionData) -> str:
    lat = data.summary.get("latency", {}).get("end_to_end", {})
    head = _table({k: f"{v:.2f} ms" if isinstance(v, float) else v for k, v in lat.items()}) if lat else ""
    chart = svg.histogram(data.latency_ms, data.budget_ms) if data.latency_ms else "<p>No latency samples.</p>"
    return head + chart


def _when(data: SessionData, clock: Clock, end: float) -> dict:
    rows = {}
    if clock.t0 is not None:
        rows["started"] = time.strftime("%a %d %b %Y, %H:%M:%S %Z", time.localtime(clock.t0))
    rows["duration"] = _duration(end - (clock.x.min() if clock.x.size and not clock.wall else 0.0))
    if not clock.wall:
        rows["time axis"] = "the video's own time (frame / frame rate)"
        if data.started is not None and data.ended is not None:
            rows["run time"] = _duration(data.ended - data.started)
    return rows


def render_session_report(data: SessionData) -> str:
    """The whole review page (HTML, every image inline) of one session's data."""
    scores = [e for e in data.events if e.get("type") == event_types.SCORE]
    clock = Clock(data)
    end = max(float(clock.x.max()) if clock.x.size else 0.0,
              (data.ended - clock.t0) if clock.wall and data.ended is not None and clock.t0 is not None else 0.0)
    start = 0.0 if clock.wall else (float(clock.x.min()) if clock.x.size else 0.0)
    errors = [e for e in data.events if e.get("type") == event_types.FRAME_ERROR]
    marks = [(x, "#c8624f", f"frame {e.get('frame')}: {e.get('reason', '')}") for e in errors
             if (x := clock.event(e)) is not None]
    timeline = svg.timeline(clock.x, [e["score"] for e in scores], data.threshold, _spans(data, clock, end),
                            marks=marks, span=(start, max(end, start + 1e-6)))
    s = data.summary
    n_alerts = len([e for e in data.events if e.get("type") == event_types.ALERT_RAISED])
    overview = {"session": data.session, "source": data.source, **_when(data, clock, end),
                "frames": s.get("frames", len(scores)), "dropped": s.get("dropped", 0),
                "frame errors": s.get("frame_errors", len(errors)), "alerts": n_alerts,
                "threshold": f"{data.threshold:.3f}"}
    legend = ('<p class="legend muted">score (blue), threshold (dashed red)<span style="background:'
              f'rgba(217,164,65,0.6)"></span>alert<span style="background:{PAUSED}"></span>AI paused'
              f'<span style="background:{FROZEN}"></span>image frozen<span style="background:#c8624f;height:'
              '4px"></span>frame error<span style="background:#f6d6cf"></span>cleft in view '
              "(ground truth, simulator sweeps only)</p>")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>cleftedge session {escape(data.session)}</title><style>{STYLE}</style></head><body>
<h1>Scan session review</h1>
<p class="muted">Decision support only. The reference model is trained on synthetic frames and is not for clinical
use.</p>
<section id="summary"><h2>Summary</h2>{_table(overview)}</section>
<section id="timeline-section"><h2>Score over time</h2>{timeline}{legend}</section>
<section id="alerts"><h2>Alerts</h2>{_alert_rows(data, clock)}</section>
<section id="drops"><h2>Dropped frames</h2>{_drops(data)}</section>
<section id="flagged"><h2>Flagged frames, with where the model looked</h2>{_thumbs(data, clock)}</section>
<section id="latency"><h2>Latency against the budget ({data.budget_ms or "none"} ms)</h2>{_latency(data)}</section>
<section id="bundle"><h2>What ran</h2>{_table(data.model_info) if data.model_info else "<p>unknown</p>"}</section>
</body></html>
"""


def write_session_report(path: str | Path, data: SessionData) -> Path:
    """Write the review page to `path` (atomically: a temp file renamed); returns the path."""
    write_text(path, render_session_report(data))
    return Path(path)
