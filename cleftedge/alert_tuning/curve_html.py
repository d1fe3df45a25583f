"""The operating curve as one self-contained HTML page (inline SVG, nothing loaded from outside):
false alerts per hour of normal scanning against the share of in-plane cleft passes alerted and
against the time to alert, every policy of the grid, the curve, the chosen point and the
single-frame policy."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from cleftedge.alert_tuning.grid import Point, Rule

W, H, PAD = 460, 300, 46


def _fx(v: float, hi: float) -> float:  # false alerts per hour on a log(1 + x) axis
    return PAD + math.log1p(v) / max(math.log1p(hi), 1e-9) * (W - 2 * PAD)


def _fy(v: float, lo: float, hi: float) -> float:
    return H - PAD - (v - lo) / max(hi - lo, 1e-9) * (H - 2 * PAD)


def _ticks(hi: float) -> list[float]:
    return [t for t in (0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000) if t <= hi]


@dataclass(frozen=True)
class _Policies:
    """What both charts draw: every policy of the grid, the curve, the chosen and the single-frame policy."""

    points: Sequence[Point]
    chosen: Point | None
    single: Point | None
    front: Sequence[Point]


@dataclass(frozen=True)
class _Axis:
    """One chart's vertical axis: what it plots of a policy, its range and label, and the rule's bounds."""

    element_id: str
    y_of: Callable[[Point], float | None]
    lo: float
    hi: float
    label: str
    bound_x: float  # the rule's false alerts per hour (a vertical line)
    bound_y: float | None  # the rule's bound on this axis, if it has one (a horizontal line)


def _axes(axis: _Axis, hi: float) -> list[str]:
    """The frame, the tick labels and the axis titles."""
    out = [f'<svg id="{axis.element_id}" viewBox="0 0 {W} {H}" width="{W}" xmlns="http://www.w3.org/2000/svg" '
           f'role="img" aria-label="{escape(axis.label)} against false alerts per hour">',
           f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#555"/>',
           f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#555"/>']
    for t in _ticks(hi):
        x = _fx(t, hi)
        out.append(f'<text x="{x:.1f}" y="{H - PAD + 14}" font-size="10" text-anchor="middle">{t:g}</text>')
    for i in range(5):
        v = axis.lo + (axis.hi - axis.lo) * i / 4
        out.append(f'<text x="{PAD - 4}" y="{_fy(v, axis.lo, axis.hi) + 3:.1f}" font-size="10" text-anchor="end">'
                   f'{v:.3g}</text>')
    out.append(f'<text x="{W / 2}" y="{H - 8}" font-size="11" text-anchor="middle">false alerts per hour of normal '
               f'scanning (log scale)</text>')
    out.append(f'<text x="12" y="{H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {H / 2})">'
               f'{escape(axis.label)}</text>')
    return out


def _bounds(axis: _Axis, hi: float) -> list[str]:
    """The rule's bounds as dashed lines."""
    bx = _fx(axis.bound_x, hi)
    out = [f'<line x1="{bx:.1f}" y1="{PAD}" x2="{bx:.1f}" y2="{H - PAD}" stroke="#c8624f" '
           f'stroke-dasharray="4 3"><title>bound: {axis.bound_x:g} false alerts per hour</title></line>']
    if axis.bound_y is not None:
        by = _fy(axis.bound_y, axis.lo, axis.hi)
        out.append(f'<line x1="{PAD}" y1="{by:.1f}" x2="{W - PAD}" y2="{by:.1f}" stroke="#c8624f" '
                   f'stroke-dasharray="4 3"><title>bound</title></line>')
    return out


def _marks(policies: _Policies, axis: _Axis, hi: float) -> list[str]:
    """Every policy as a grey dot, the curve as a line, the chosen and the single-frame policy as large dots."""
    y_of, lo, y_hi = axis.y_of, axis.lo, axis.hi
    out = []
    for p in policies.points:
        y = y_of(p)
        if y is not None:
            out.append(f'<circle cx="{_fx(p.figures.false_per_hour, hi):.1f}" cy="{_fy(y, lo, y_hi):.1f}" r="2" '
                       f'fill="#9aa5b1"><title>{escape(_name(p))}</title></circle>')
    line = [(_fx(p.figures.false_per_hour, hi), _fy(y_of(p), lo, y_hi)) for p in policies.front if y_of(p) is not None]
    if line:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        out.append(f'<polyline class="curve" points="{pts}" fill="none" stroke="#2b6cb0" stroke-width="1.5"/>')
    for p, colour, cls, what in ((policies.single, "#d69e2e", "single-frame", "single-frame policy"),
                                 (policies.chosen, "#c53030", "chosen", "chosen policy")):
        if p is None or y_of(p) is None:
            continue
        x, y = _fx(p.figures.false_per_hour, hi), _fy(y_of(p), lo, y_hi)
        out.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#000">'
                   f'<title>{what}: {escape(_name(p))}</title></circle>')
        out.append(f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" font-size="11" fill="{colour}">{what}</text>')
    return out


def _chart(policies: _Policies, axis: _Axis) -> str:
    """One inline SVG chart: `axis` against false alerts per hour (log scale)."""
    hi = max([p.figures.false_per_hour for p in policies.points] + [axis.bound_x * 2, 3.0])
    return "".join(_axes(axis, hi) + _bounds(axis, hi) + _marks(policies, axis, hi) + ["</svg>"])


def _name(p: Point) -> str:
    c = p.config
    clear = "" if c.clear_threshold is None else f" clear_threshold={c.clear_threshold:g}"
    return f"k={c.k} n={c.n} clear_k={c.clear_k} cooldown={c.cooldown_frames}{clear}"


def _fmt(v: float | None, spec: str = ".2f", unit: str = " s") -> str:
    return "-" if v is None else f"{v:{spec}}{unit}"


def _row(p: Point, tag: str = "") -> str:
    f = p.figures
    return (f"<tr><td>{escape(tag)}</td><td>{escape(_name(p))}</td><td>{f.false_alerts}</td>"
            f"<td>{f.false_per_hour:.2f}</td><td>{f.alerted}/{f.passes} ({f.alerted_share * 100:.1f} %)</td>"
            f"<td>{_fmt(f.median_delay_s)}</td><td>{_fmt(f.max_delay_s)}</td></tr>")


def render(points: Sequence[Point], chosen: Point | None, single: Point | None, front: Sequence[Point], rule: Rule,
           context: dict[str, object]) -> str:
    """The HTML page of the operating curve: `context` as rows (model, sweeps, ...), the rule, the two charts
    (passes alerted and median time to alert, each against false alerts per hour) and the rows of the chosen
    policy, the single-frame policy and the curve (`front`). `chosen` None: no policy met the rule."""
    delays = [p.figures.max_delay_s for p in points if p.figures.max_delay_s is not None]
    y_hi = max(delays + [1.0])
    policies = _Policies(points, chosen, single, front)
    share = _chart(policies, _Axis("curve-alerted", lambda p: p.figures.alerted_share * 100, 0, 100,
                                   "% of in-plane cleft passes alerted", rule.max_false_per_hour,
                                   rule.min_alerted * 100))
    speed = _chart(policies, _Axis("curve-delay", lambda p: p.figures.median_delay_s, 0, y_hi,
                                   "median time to alert (s)", rule.max_false_per_hour, None))
    info = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in context.items())
    rows = ([_row(chosen, "chosen")] if chosen else []) + ([_row(single, "single frame")] if single else [])
    rows += [_row(p, "curve") for p in front]
    verdict = (f"<p id=\"verdict\">Chosen: <b>{escape(_name(chosen))}</b>.</p>" if chosen else
               '<p id="verdict"><b>No policy of the grid meets the rule</b>: the curve shows the trade-off.</p>')
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cleftedge alert tuning</title>
<style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1d232a}}
table{{border-collapse:collapse}}td,th{{padding:3px 9px;border-bottom:1px solid #eee;text-align:left}}
.charts{{display:flex;flex-wrap:wrap;gap:16px}}</style></head><body>
<h1>Alert policy operating curve</h1>
<p>Rule: {escape(rule.describe())}.</p>{verdict}
<table>{info}</table>
<div class="charts">{share}{speed}</div>
<p>Grey: every policy of the grid ({len(points)}); blue: the curve (no policy has both fewer false alerts and more
passes alerted); red: the chosen policy; amber: the single-frame policy (an alert on every flagged frame).</p>
<table><tr><th></th><th>policy</th><th>false alerts</th><th>per hour</th><th>passes alerted</th>
<th>median time to alert</th><th>max</th></tr>{"".join(rows)}</table>
</body></html>
"""
