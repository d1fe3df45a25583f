"""Inline SVG charts for the QA report: ROC curves overlaid and the reference-vs-candidate score
scatter. Plain SVG text, nothing loaded from outside."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

SIZE, PAD = 420, 44
REF_COLOUR, CAND_COLOUR, FLIP_COLOUR = "#2f6fb0", "#d9822b", "#c0392b"


def _px(v: float) -> float:
    return PAD + v * (SIZE - 2 * PAD)


def _py(v: float) -> float:
    return SIZE - PAD - v * (SIZE - 2 * PAD)


def _frame(element_id: str, label: str, x_label: str, y_label: str) -> list[str]:
    out = [f'<svg id="{escape(element_id)}" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(label)}">',
           f'<rect x="{PAD}" y="{PAD}" width="{SIZE - 2 * PAD}" height="{SIZE - 2 * PAD}" fill="none" stroke="#888"/>']
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<text x="{_px(v):.1f}" y="{SIZE - PAD + 16}" font-size="11" text-anchor="middle" '
                   f'fill="#555">{v:g}</text>')
        out.append(f'<text x="{PAD - 5}" y="{_py(v) + 4:.1f}" font-size="11" text-anchor="end" '
                   f'fill="#555">{v:g}</text>')
    out.append(f'<text x="{SIZE / 2:.0f}" y="{SIZE - 8}" font-size="12" text-anchor="middle" fill="#333">'
               f'{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{SIZE / 2:.0f}" font-size="12" text-anchor="middle" fill="#333" '
               f'transform="rotate(-90 14 {SIZE / 2:.0f})">{escape(y_label)}</text>')
    return out


def roc(ref_points: Sequence[tuple[float, float]], cand_points: Sequence[tuple[float, float]],
        ref_op: tuple[float, float] | None, cand_op: tuple[float, float] | None,
        ref_auc: float | None, cand_auc: float | None) -> str:
    """Both ROC curves on one plot, with each model's operating point (1 - specificity, sensitivity)."""
    parts = _frame("roc-chart", "ROC curves, reference and candidate", "1 - specificity", "sensitivity")
    parts.append(f'<line x1="{_px(0)}" y1="{_py(0)}" x2="{_px(1)}" y2="{_py(1)}" stroke="#ccc" '
                 'stroke-dasharray="4 4"/>')
    for pts, colour, dash, name, a in ((ref_points, REF_COLOUR, "", "reference", ref_auc),
                                       (cand_points, CAND_COLOUR, ' stroke-dasharray="6 3"', "candidate", cand_auc)):
        if pts:
            line = " ".join(f"{_px(x):.1f},{_py(y):.1f}" for x, y in pts)
            title = f"{name} AUC {a:.4f}" if a is not None else name
            parts.append(f'<polyline class="roc-{name}" points="{line}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"{dash}><title>{escape(title)}</title></polyline>')
    for op, colour, name in ((ref_op, REF_COLOUR, "reference"), (cand_op, CAND_COLOUR, "candidate")):
        if op and None not in op:
            parts.append(f'<circle cx="{_px(op[0]):.1f}" cy="{_py(op[1]):.1f}" r="4.5" fill="{colour}">'
                         f'<title>{name} operating point</title></circle>')
    parts += _legend([(REF_COLOUR, _auc_label("reference FP32", ref_auc)),
                      (CAND_COLOUR, _auc_label("candidate", cand_auc))])
    parts.append("</svg>")
    return "".join(parts)


def _auc_label(name: str, a: float | None) -> str:
    return f"{name} (AUC {a:.4f})" if a is not None else name


def _legend(items: list[tuple[str, str]]) -> list[str]:
    out = []
    for i, (colour, text) in enumerate(items):
        y = 14 + 15 * i  # above the plot area, where no data can hide behind it
        out.append(f'<rect x="{PAD}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{PAD + 15}" y="{y}" font-size="11" fill="#333">{escape(text)}</text>')
    return out


def scatter(ref: np.ndarray, cand: np.ndarray, flipped: np.ndarray, ref_t: float, cand_t: float,
            max_points: int = 3000, seed: int = 0) -> str:
    """Candidate score against reference score per frame; flipped frames always drawn, in red."""
    ref, cand, flipped = np.asarray(ref, float), np.asarray(cand, float), np.asarray(flipped, bool)
    keep = np.flatnonzero(~flipped)
    if keep.size > max_points:  # a sample is enough for the eye; the page stays small
        keep = np.sort(np.random.default_rng(seed).choice(keep, max_points, replace=False))
    parts = _frame("scatter-chart", "candidate score against reference score", "reference score (FP32)",
                   "candidate score")
    parts.append(f'<line x1="{_px(0)}" y1="{_py(0)}" x2="{_px(1)}" y2="{_py(1)}" stroke="#bbb"/>')
    parts.append(f'<line x1="{_px(ref_t):.1f}" x2="{_px(ref_t):.1f}" y1="{PAD}" y2="{SIZE - PAD}" stroke="#c8624f" '
                 f'stroke-dasharray="4 3"><title>reference threshold {ref_t:g}</title></line>')
    parts.append(f'<line y1="{_py(cand_t):.1f}" y2="{_py(cand_t):.1f}" x1="{PAD}" x2="{SIZE - PAD}" stroke="#c8624f" '
                 f'stroke-dasharray="4 3"><title>candidate threshold {cand_t:g}</title></line>')
    dots = "".join(f'<circle cx="{_px(a):.1f}" cy="{_py(b):.1f}" r="1.6"/>' for a, b in zip(ref[keep], cand[keep],
                                                                                          strict=True))
    parts.append(f'<g fill="{REF_COLOUR}" fill-opacity="0.35">{dots}</g>')
    idx = np.flatnonzero(flipped)
    flips = "".join(f'<circle cx="{_px(ref[i]):.1f}" cy="{_py(cand[i]):.1f}" r="3"/>' for i in idx)
    parts.append(f'<g class="flipped" fill="{FLIP_COLOUR}">{flips}</g>')
    shown = f"{keep.size} of {int((~flipped).sum())} agreeing frames" if keep.size < (~flipped).sum() else "all frames"
    parts += _legend([(REF_COLOUR, shown), (FLIP_COLOUR, f"{idx.size} flipped frames")])
    parts.append("</svg>")
    return "".join(parts)
