"""Tiny inline-SVG charts (no plotting dependency, nothing loaded from outside)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

W, H, PAD = 760, 220, 36


def _x(v: float, lo: float, hi: float) -> float:
    return PAD + (v - lo) / max(hi - lo, 1e-9) * (W - 2 * PAD)


def _y(v: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return H - PAD - (v - lo) / max(hi - lo, 1e-9) * (H - 2 * PAD)


def decimate(t: np.ndarray, s: np.ndarray, lo: float, hi: float, bins: int) -> list[np.ndarray]:
    """The score line at the screen's resolution: per pixel column its min and max (no spike is lost),
    broken where the scan has a gap (a paused source) instead of drawing across it. Returns polylines
    of (x, score) points."""
    if not t.size:
        return []
    order = np.argsort(t, kind="stable")
    t, s = t[order], s[order]
    dt = np.diff(t)
    gap = max(1.0, 10 * float(np.median(dt))) if dt.size else 1.0
    pieces = np.split(np.arange(t.size), np.flatnonzero(dt > gap) + 1)
    lines = []
    for idx in pieces:
        pt, ps = t[idx], s[idx]
        if pt.size > 2 * bins:
            col = np.minimum(((pt - lo) / max(hi - lo, 1e-9) * bins).astype(int), bins - 1)
            starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
            mins, maxs = np.minimum.reduceat(ps, starts), np.maximum.reduceat(ps, starts)
            x = lo + (col[starts] + 0.5) / bins * (hi - lo)
            pt, ps = np.repeat(x, 2), np.column_stack([mins, maxs]).ravel()
        lines.append(np.column_stack([pt, ps]))
    return lines


def timeline(t: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float,
             spans: Sequence[tuple[float, float, str, str]] = (), element_id: str = "timeline",
             x_label: str = "seconds", marks: Sequence[tuple[float, str, str]] = (),
             span: tuple[float, float] | None = None) -> str:
    """Score over time with the threshold; spans are (start, end, colour, title) bands behind it, marks
    (at, colour, title) short ticks along the bottom; `span` the time axis (default: the scores')."""
    ts = np.asarray(t, float)
    s = np.asarray(scores, float)
    lo, hi = span if span else (float(ts.min()), float(ts.max())) if ts.size else (0.0, 1.0)
    parts = [f'<svg id="{escape(element_id)}" viewBox="0 0 {W} {H}" width="100%" role="img" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="score over time">']
    for a, b, colour, title in spans:
        x0, x1 = _x(a, lo, hi), _x(b, lo, hi)
        parts.append(f'<rect x="{x0:.1f}" y="{PAD}" width="{max(x1 - x0, 1):.1f}" height="{H - 2 * PAD}" '
                     f'fill="{colour}"><title>{escape(title)}</title></rect>')
    parts.append(_axes(lo, hi, x_label))
    ty = _y(threshold)
    parts.append(f'<line x1="{PAD}" x2="{W - PAD}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#c8624f" '
                 f'stroke-dasharray="5 4"><title>threshold {threshold:.2f}</title></line>')
    for line in decimate(ts, s, lo, hi, W - 2 * PAD):
        line = line if len(line) > 1 else np.repeat(line, 2, axis=0)  # a lone frame shows as a dot
        pts = " ".join(f"{_x(a, lo, hi):.1f},{_y(b):.1f}" for a, b in line)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#2f6fb0" stroke-width="1.5" '
                     f'stroke-linecap="round"/>')
    for at, colour, title in marks:
        x = _x(at, lo, hi)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{H - PAD}" y2="{H - PAD - 8}" stroke="{colour}" '
                     f'stroke-width="2"><title>{escape(title)}</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: Sequence[float], budget: float | None, element_id: str = "latency-histogram",
              unit: str = "ms", bins: int = 40) -> str:
    """Latency histogram (`values` in `unit`) with the budget drawn as a line when given; an inline SVG."""
    v = np.asarray(values, float)
    hi = max(float(v.max()) if v.size else 1.0, budget or 0.0) * 1.05
    counts, edges = np.histogram(v, bins=bins, range=(0.0, hi))
    top = max(int(counts.max()) if counts.size else 1, 1)
    parts = [f'<svg id="{escape(element_id)}" viewBox="0 0 {W} {H}" width="100%" role="img" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="latency histogram">', _axes(0.0, hi, unit, 0, top)]
    for c, a, b in zip(counts, edges[:-1], edges[1:], strict=True):
        if c:
            x0, x1, y = _x(a, 0, hi), _x(b, 0, hi), _y(c, 0, top)
            parts.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 1, 1):.1f}" '
                         f'height="{H - PAD - y:.1f}" fill="#5c9bd1"><title>{int(c)} frames, '
                         f'{a:.1f}-{b:.1f} {unit}</title></rect>')
    if budget:
        bx = _x(budget, 0, hi)
        parts.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{PAD}" y2="{H - PAD}" stroke="#c8624f" '
                     f'stroke-width="2"><title>budget {budget:g} {unit}</title></line>'
                     f'<text x="{bx + 4:.1f}" y="{PAD + 12}" font-size="12" fill="#c8624f">budget</text>')
    parts.append("</svg>")
    return "".join(parts)


def _axes(lo: float, hi: float, x_label: str, ylo: float = 0.0, yhi: float = 1.0) -> str:
    out = [f'<line x1="{PAD}" x2="{W - PAD}" y1="{H - PAD}" y2="{H - PAD}" stroke="#888"/>',
           f'<line x1="{PAD}" x2="{PAD}" y1="{PAD}" y2="{H - PAD}" stroke="#888"/>']
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        xv = lo + frac * (hi - lo)
        out.append(f'<text x="{_x(xv, lo, hi):.1f}" y="{H - PAD + 16}" font-size="11" text-anchor="middle" '
                   f'fill="#555">{xv:.3g}</text>')
        yv = ylo + frac * (yhi - ylo)
        out.append(f'<text x="{PAD - 4}" y="{_y(yv, ylo, yhi) + 4:.1f}" font-size="11" text-anchor="end" '
                   f'fill="#555">{yv:.3g}</text>')
    out.append(f'<text x="{W / 2:.0f}" y="{H - 4}" font-size="12" text-anchor="middle" fill="#555">'
               f'{escape(x_label)}</text>')
    return "".join(out)
