"""Echogenicity maps of the fetal face (coronal nose-lip view) and of off-plane views.

Face coordinates: u across the face (-1 left of the image .. 1 right), v downwards; the upper lip
sits near v = -0.2. A similarity transform (centre, scale, angle) places the face on the canvas.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FLUID = 0.006  # amniotic fluid: anechoic
TISSUE = 0.16  # soft tissue
SKIN = 1.0  # the echogenic skin line facing the fluid


@dataclass(frozen=True)
class Anatomy:
    """What stays fixed for one fetus (one case)."""

    face_rx: float  # soft-tissue half width and height (face units)
    face_ry: float
    lip_width: float  # half width of the upper lip
    lip_thickness: float  # skin line thickness (face units)
    lip_bow: float  # cupid's bow curvature
    philtrum: float  # depth of the central philtrum dimple (normal anatomy, not a cleft)
    nostril: float  # nostril radius
    mouth_open: float
    cleft: str  # "none", "left", "right", "both"
    cleft_pos: float  # |u| of the cleft, under a nostril
    severity: float  # 0 for none, else (0, 1]

    @staticmethod
    def sample(rng: np.random.Generator, cleft: str = "none", severity: float = 0.0) -> Anatomy:
        """A random face with the given `cleft` side (none, left, right, both) and `severity`."""
        return Anatomy(
            face_rx=float(rng.uniform(0.95, 1.15)), face_ry=float(rng.uniform(1.05, 1.25)),
            lip_width=float(rng.uniform(0.55, 0.7)), lip_thickness=float(rng.uniform(0.045, 0.07)),
            lip_bow=float(rng.uniform(0.04, 0.12)), philtrum=float(rng.uniform(0.0, 0.05)),
            nostril=float(rng.uniform(0.07, 0.1)), mouth_open=float(rng.uniform(0.02, 0.06)),
            cleft=cleft, cleft_pos=float(rng.uniform(0.24, 0.32)), severity=float(severity),
        )


@dataclass(frozen=True)
class Placement:
    cx: float
    cy: float
    scale: float  # canvas pixels per face unit
    angle: float  # radians

    def to_canvas(self, pts: np.ndarray) -> np.ndarray:
        """Face coordinates (N, 2) to canvas pixels: rotated by `angle`, scaled and moved to (cx, cy)."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        u, v = pts[:, 0], pts[:, 1]
        x = self.cx + self.scale * (c * u - s * v)
        y = self.cy + self.scale * (s * u + c * v)
        return np.stack([x, y], axis=1)


def _poly(place: Placement, pts) -> np.ndarray:
    return np.round(place.to_canvas(np.asarray(pts, np.float32)) * 16).astype(np.int32).reshape(-1, 1, 2)


def _line(canvas, place, pts, value, thick_units, closed=False):
    t = max(1, int(round(thick_units * place.scale)))
    cv2.polylines(canvas, [_poly(place, pts)], closed, float(value), t, cv2.LINE_AA, shift=4)


def _fill(canvas, place, pts, value):
    cv2.fillPoly(canvas, [_poly(place, pts)], float(value), cv2.LINE_AA, shift=4)


def _ellipse_pts(cx, cy, rx, ry, n=48, a0=0.0, a1=2 * np.pi):
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def upper_lip_curve(a: Anatomy, n: int = 61) -> np.ndarray:
    """`n` points (u, v) in face coordinates along the upper lip: the cupid's bow with its philtrum dimple."""
    u = np.linspace(-a.lip_width, a.lip_width, n)
    # cupid's bow: two crests beside a central philtrum dimple, ends curving up into the cheeks
    v = -0.2 + a.lip_bow * (u / a.lip_width) ** 2 * -1.0 + 0.05 * (u / a.lip_width) ** 4
    v = v - a.philtrum * np.exp(-((u / 0.07) ** 2)) * -1.0
    return np.stack([u, v], axis=1)


def lip_region(a: Anatomy) -> np.ndarray:
    """Face-unit corners of the upper-lip region (with the nostril sill above it)."""
    return np.array([[-a.lip_width - 0.05, -0.62], [a.lip_width + 0.05, -0.62],
                     [a.lip_width + 0.05, 0.0], [-a.lip_width - 0.05, 0.0]], np.float32)


def draw_face(canvas: np.ndarray, a: Anatomy, place: Placement, rng: np.random.Generator,
              lip_visibility: float = 1.0) -> None:
    """Draw the face in the coronal nose-lip view onto an echogenicity canvas (in place)."""
    _fill(canvas, place, _ellipse_pts(0, -0.05, a.face_rx, a.face_ry), TISSUE)
    _line(canvas, place, _ellipse_pts(0, -0.05, a.face_rx, a.face_ry, a0=0.15, a1=np.pi - 0.15),
          SKIN * 0.7, 0.04)  # cheeks and chin outline
    # nose: tip and alae above the lip, two nostrils (dark holes) with bright rims
    _line(canvas, place, _ellipse_pts(0, -0.62, 0.42, 0.22, a0=np.pi * 1.05, a1=np.pi * 1.95), SKIN * 0.9, 0.05)
    for side in (-1, 1):
        c = (side * 0.2, -0.5)
        _fill(canvas, place, _ellipse_pts(*c, a.nostril * 1.4, a.nostril), FLUID)
        _line(canvas, place, _ellipse_pts(*c, a.nostril * 1.4 + 0.02, a.nostril + 0.02), SKIN * 0.6, 0.025,
              closed=True)
    lip = upper_lip_curve(a)
    vis = float(np.clip(lip_visibility, 0.0, 1.0))
    # the skin line of the upper lip, then the mouth (dark) and the lower lip
    _line(canvas, place, lip, SKIN * (0.35 + 0.65 * vis), a.lip_thickness)
    mouth = np.stack([lip[:, 0] * 0.85, lip[:, 1] * 0 + 0.02 + 0.03 * (lip[:, 0] / a.lip_width) ** 2], axis=1)
    _line(canvas, place, mouth, FLUID, a.mouth_open * 1.5)
    lower = np.stack([mouth[:, 0] * 0.95, mouth[:, 1] + 0.16 - 0.06 * (mouth[:, 0] / a.lip_width) ** 2], axis=1)
    _line(canvas, place, lower, SKIN * 0.75, a.lip_thickness * 0.9)
    _line(canvas, place, _ellipse_pts(0, 0.55, 0.35, 0.2, a0=0.2, a1=np.pi - 0.2), SKIN * 0.8, 0.05)  # chin
    _dropouts(canvas, a, place, rng, lip)
    if a.cleft != "none" and vis > 0:
        sides = {"left": (-1,), "right": (1,), "both": (-1, 1)}[a.cleft]
        for side in sides:
            _cleft(canvas, a, place, side, vis)


def _dropouts(canvas, a, place, rng, lip):
    """Normal speckle dropouts: short dimmer stretches of the lip line (not gaps to fluid level)."""
    for _ in range(int(rng.integers(0, 3))):
        i = int(rng.integers(5, len(lip) - 8))
        seg = lip[i:i + int(rng.integers(2, 5))]
        _line(canvas, place, seg, SKIN * float(rng.uniform(0.5, 0.7)), a.lip_thickness * 1.1)


def _cleft(canvas, a: Anatomy, place: Placement, side: int, vis: float) -> None:
    """A gap through the upper lip under a nostril; its width follows the severity. Obvious clefts
    run up into the nostril, subtle ones notch the lip; the cleft margins are bright skin."""
    half = 0.05 + 0.1 * a.severity
    u0 = side * a.cleft_pos
    lip = upper_lip_curve(a)
    v_lip = float(np.interp(u0, lip[:, 0], lip[:, 1]))
    top = v_lip - 0.08 - 0.22 * a.severity  # how far up towards the nostril (-0.5) it reaches
    bottom = v_lip + a.lip_thickness * 0.9
    taper = half * 0.45
    gap = [(u0 - half, bottom), (u0 + half, bottom), (u0 + taper, top), (u0 - taper, top)]
    _fill(canvas, place, gap, FLUID + (TISSUE - FLUID) * (1 - vis))
    edge_value = SKIN * 0.85 * vis + TISSUE * (1 - vis)
    _line(canvas, place, [(u0 - half, bottom), (u0 - taper, top)], edge_value, a.lip_thickness * 0.7)
    _line(canvas, place, [(u0 + half, bottom), (u0 + taper, top)], edge_value, a.lip_thickness * 0.7)


def draw_off_plane(canvas: np.ndarray, kind: str, place: Placement, rng: np.random.Generator) -> None:
    """Views where the upper lip is not in the plane: the orbits above it, the chin and neck below,
    or a tangential cut through soft tissue."""
    if kind == "orbits":
        _fill(canvas, place, _ellipse_pts(0, -0.1, 1.05, 1.0), TISSUE)
        _line(canvas, place, _ellipse_pts(0, -0.1, 1.05, 1.0, a0=0.2, a1=np.pi - 0.2), SKIN * 0.7, 0.04)
        for side in (-1, 1):
            c = (side * 0.42, -0.25)
            r = float(rng.uniform(0.17, 0.22))
            _fill(canvas, place, _ellipse_pts(*c, r, r * 0.95), FLUID * 2)
            _line(canvas, place, _ellipse_pts(*c, r + 0.03, r + 0.02), SKIN * 0.9, 0.05, closed=True)
        _line(canvas, place, [(0, -0.45), (0, 0.35)], SKIN * 0.6, 0.05)  # nasal bridge
    elif kind == "chin":
        _fill(canvas, place, _ellipse_pts(0, 0.1, 0.9, 0.8), TISSUE)
        _line(canvas, place, _ellipse_pts(0, 0.1, 0.9, 0.8, a0=0.1, a1=np.pi - 0.1), SKIN * 0.9, 0.05)
        _line(canvas, place, _ellipse_pts(0, -0.1, 0.5, 0.25, a0=0.3, a1=np.pi - 0.3), SKIN * 0.6, 0.04)
    else:  # tangential soft tissue with a few bright interfaces
        _fill(canvas, place, _ellipse_pts(0, 0, 1.1, 0.9), TISSUE)
        for _ in range(int(rng.integers(2, 5))):
            pts = np.cumsum(rng.normal(0, 0.12, (8, 2)), axis=0) + rng.uniform(-0.5, 0.5, 2)
            _line(canvas, place, pts, SKIN * float(rng.uniform(0.5, 0.9)), 0.04)


def tissue_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth multiplicative variation of echogenicity (mean about 1)."""
    small = rng.normal(1.0, 0.22, (max(2, h // 24), max(2, w // 24))).astype(np.float32)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), 0.5, 1.6)
