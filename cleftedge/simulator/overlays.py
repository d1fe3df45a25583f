"""Vendor-style overlays outside the sector: text, a depth ruler, a grey bar, a probe marker.

Each site has its own look; nothing here depends on the label, so overlays carry no shortcut.
The patient-name line is there on purpose: the runtime must mask it in anything it writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SITES = ("site-A", "site-B", "site-C", "site-D")


@dataclass(frozen=True)
class SiteStyle:
    name: str
    colour: tuple[int, int, int]  # BGR
    accent: tuple[int, int, int]
    font: int
    font_scale: float
    ruler_right: bool
    gain_habit: float  # sites differ in how they set the gain


STYLES = {
    "site-A": SiteStyle("ST. ELSEWHERE OB", (235, 235, 235), (0, 200, 255), cv2.FONT_HERSHEY_SIMPLEX, 0.42, True, 1.0),
    "site-B": SiteStyle("NORTH VALLEY MFM", (80, 230, 240), (255, 200, 0), cv2.FONT_HERSHEY_PLAIN, 0.95, True, 1.12),
    "site-C": SiteStyle("HOSPITAL DE LA MER", (255, 255, 180), (60, 220, 60), cv2.FONT_HERSHEY_DUPLEX, 0.38, False,
                        0.9),
    "site-D": SiteStyle("RIVERSIDE PRENATAL", (210, 210, 255), (0, 140, 255), cv2.FONT_HERSHEY_SIMPLEX, 0.4, False,
                        1.05),
}


def _text(img, text, org, style: SiteStyle, colour=None):
    cv2.putText(img, text, org, style.font, style.font_scale, colour or style.colour, 1, cv2.LINE_AA)


def draw_overlays(img: np.ndarray, site: str, rng: np.random.Generator, depth_cm: float, gain: float,
                  fan_box: tuple[int, int, int, int]) -> None:
    """Draw onto a BGR frame (in place), outside fan_box (x0, y0, x1, y1)."""
    style = STYLES.get(site, STYLES["site-A"])
    h, w = img.shape[:2]
    x0, y0, x1, y1 = fan_box
    lines = [style.name,
             f"PATIENT: {rng.choice(['DOE^JANE', 'ROE^MARY', 'SMITH^ANA', 'LEE^KIM'])}",
             f"2026-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d} "
             f"{int(rng.integers(7, 19)):02d}:{int(rng.integers(0, 60)):02d}",
             f"C5-2 OB  FR {int(rng.choice([24, 27, 30, 33]))}Hz",
             f"MI {rng.uniform(0.6, 1.2):.1f}  TIs {rng.uniform(0.1, 0.6):.1f}"]
    for i, line in enumerate(lines):
        _text(img, line, (6, 16 + 15 * i), style)
    _text(img, f"Gn {int(gain * 50)}  D {depth_cm:.1f}cm  DR {int(rng.integers(55, 72))}", (6, h - 10), style)
    # depth ruler beside the fan, ticks every centimetre
    rx = min(w - 14, x1 + 10) if style.ruler_right else max(10, x0 - 14)
    cv2.line(img, (rx, y0 + 2), (rx, y1 - 2), style.colour, 1)
    n = max(1, int(depth_cm))
    for k in range(n + 1):
        y = int(y0 + (y1 - y0) * k / depth_cm)
        if y > y1:
            break
        cv2.line(img, (rx - 5, y), (rx, y), style.colour, 1)
        if k % 2 == 0:
            _text(img, str(k), (rx + 3 if style.ruler_right else rx - 16, y + 4), style)
    # grey bar on the far side and the probe orientation marker
    bx = 8 if style.ruler_right else w - 18
    bar = np.linspace(255, 0, 120).astype(np.uint8)[:, None, None].repeat(8, 1).repeat(3, 2)
    img[120:240, bx:bx + 8] = bar
    mx = max(12, x0 - 16)
    cv2.circle(img, (mx, y0 + 12), 5, style.accent, -1, cv2.LINE_AA)
    _text(img, "P", (w - 30, 20), style, style.accent)
