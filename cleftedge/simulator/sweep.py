"""Probe sweeps through the fetal face: a 30 fps sequence with per-frame ground truth.

The probe plane moves on a script of passes: off-plane (orbits above the lip or chin below it),
sliding into the nose-lip plane, holding there with small hand tremor, leaving again. Pose drifts
smoothly, speckle decorrelates gradually; the cleft is "in view" only while the lip is in plane.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.progress import Progress
from cleftedge.simulator import beam, clinical, scene
from cleftedge.simulator.labels import CLEFT_KINDS
from cleftedge.simulator.render import CANVAS_H, CANVAS_W, Pose, bmode, compose, echogenicity

IN_PLANE_Z = 0.45  # |plane offset| below which the upper lip is in view
_FACE_FADE = (0.4, 0.6)  # the lip fades out between these offsets


@dataclass
class SweepFrame:
    index: int
    image: np.ndarray  # uint8 BGR (480, 640, 3)
    in_plane: bool
    cleft: bool  # a cleft is in view in this frame
    severity: float


def plane_script(n_frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Plane offset per frame: passes of approach, hold, leave, off-plane."""
    z = np.empty(n_frames, np.float32)
    i, current = 0, float(rng.choice([-1.0, 1.0]))
    hold_off = int(rng.uniform(0.5, 1.5) * fps)
    z[:hold_off] = current
    i = hold_off
    while i < n_frames:
        target = float(rng.uniform(-0.15, 0.15))
        for start, end, seconds in ((current, target, rng.uniform(0.6, 1.2)), (None, None, rng.uniform(2.0, 5.0)),
                                    (target, float(rng.choice([-1.0, 1.0])), rng.uniform(0.6, 1.2)),
                                    (None, None, rng.uniform(0.5, 2.0))):
            n = max(1, int(seconds * fps))
            if start is None:  # hold: hand tremor around the last value
                base = z[i - 1] if i > 0 else current
                seg = base + np.cumsum(rng.normal(0, 0.006, n)).astype(np.float32)
                seg = np.clip(seg, base - 0.12, base + 0.12)
            else:
                t = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))
                seg = start + (end - start) * t
                current = end
            take = min(n, n_frames - i)
            z[i:i + take] = seg[:take]
            i += take
            if i >= n_frames:
                break
    return z


class _Drift:
    """Smooth Ornstein-Uhlenbeck drift of one pose value around its start."""

    def __init__(self, rng, start, spread, rate=0.04):
        self.rng, self.start, self.value, self.spread, self.rate = rng, start, start, spread, rate

    def step(self) -> float:
        self.value += self.rate * (self.start - self.value) + self.spread * self.rate * 3 * self.rng.normal()
        return self.value


def iter_sweep(seconds: float, cleft: str, seed: int, fps: float = 30.0,
               severity: float | None = None, difficulty: str = "standard") -> Iterator[SweepFrame]:
    """The sweep's frames. `difficulty="clinical"` adds clinical effects from a second random stream
    (seeded by the seed too), so the standard sweep of a seed stays as it was."""
    if cleft not in CLEFT_KINDS:
        raise CleftEdgeError(f"--cleft {cleft}", "one of " + ", ".join(CLEFT_KINDS), "e.g. --cleft unilateral")
    if not fps > 0:
        raise CleftEdgeError(f"--fps {fps}", "a positive frame rate", "e.g. --fps 30")
    if not round(seconds * fps) >= 1:
        raise CleftEdgeError(f"--seconds {seconds}", "a duration of at least one frame", "e.g. --seconds 20")
    if difficulty not in clinical.DIFFICULTIES:
        raise CleftEdgeError(f"--difficulty {difficulty}", "one of " + ", ".join(clinical.DIFFICULTIES),
                             "e.g. --difficulty clinical")
    rng = np.random.default_rng(seed)
    side = {"none": "none", "bilateral": "both"}.get(cleft) or str(rng.choice(["left", "right"]))
    sev = 0.0 if cleft == "none" else float(severity if severity is not None else rng.uniform(0.3, 1.0))
    anatomy = scene.Anatomy.sample(rng, side, sev)
    site = str(rng.choice(["site-A", "site-B", "site-C", "site-D"]))
    pose0 = Pose.sample(rng)
    texture = scene.tissue_texture(rng, CANVAS_H, CANVAS_W)
    shadow = beam.shadows(rng, int(rng.integers(0, 3)))
    n = int(round(seconds * fps))
    z = plane_script(n, fps, rng)
    drift = [_Drift(rng, pose0.place.cx, 8.0), _Drift(rng, pose0.place.cy, 6.0),
             _Drift(rng, pose0.place.scale, 2.0), _Drift(rng, pose0.place.angle, 0.05)]
    noise = beam.complex_noise(rng)
    overlay_seed = int(rng.integers(1 << 31))  # the cart's overlay text stays the same all sweep
    sweep_hard, earlier = None, None
    if difficulty == "clinical":
        hard_rng = np.random.default_rng([seed, 15])
        if cleft != "none" and severity is None:  # clinical clefts reach the subtle band
            sev = clinical.subtle_severity(hard_rng)
            anatomy = replace(anatomy, severity=sev)
        sweep_hard = clinical.sample_sweep(n, fps, hard_rng)
        pose0 = clinical.adjust_pose(pose0, sweep_hard.fired, hard_rng)
    scan = _Scan(anatomy, texture, shadow, site, overlay_seed)
    for i in range(n):
        cx, cy, scale, angle = (d.step() for d in drift)
        pose = replace(pose0, place=scene.Placement(cx, cy, scale, angle))
        speed = abs(z[i] - z[i - 1 if i else 0])
        rho = 0.92 if speed < 0.01 else 0.75  # moving probes decorrelate speckle
        noise = rho * noise + np.sqrt(1 - rho * rho) * beam.complex_noise(rng)
        hard = None if sweep_hard is None else clinical.sweep_frame(sweep_hard, i, fps, float(speed))
        image, in_plane, earlier = _render(scan, pose, float(z[i]), rng, noise, hard, earlier)
        yield SweepFrame(i, image, in_plane, in_plane and cleft != "none", sev if in_plane else 0.0)


@dataclass(frozen=True)
class _Scan:
    """What stays the same for a whole sweep: the face, the tissue texture, the shadows and the cart."""

    anatomy: scene.Anatomy
    texture: np.ndarray
    shadow: np.ndarray
    site: str
    overlay_seed: int  # the cart's overlay text is drawn from this seed on every frame


def _render(scan: _Scan, pose: Pose, z: float, rng: np.random.Generator, noise: np.ndarray,
            hard: clinical.Clinical | None = None,
            earlier: np.ndarray | None = None) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """One sweep frame at plane offset `z`: the face fading into the off-plane view as |z| grows. Returns the
    image, whether the lip is in plane, and what the clinical effects carry to the next frame (`earlier`)."""
    lo, hi = _FACE_FADE
    w = float(np.clip((hi - abs(z)) / (hi - lo), 0.0, 1.0))
    anatomy = scan.anatomy
    echo = None
    if w > 0:
        echo = echogenicity("normal" if anatomy.cleft == "none" else "bilateral", anatomy, pose, rng,
                            lip_visibility=w, texture=scan.texture, hard=hard)
    if w < 1:
        off = echogenicity("off_plane", anatomy, pose, rng, "orbits" if z < 0 else "chin", texture=scan.texture,
                           hard=hard)
        echo = off if echo is None else w * echo + (1 - w) * off
    grey, inside = bmode(echo, pose, rng, noise=noise, shadow=scan.shadow, hard=hard)
    if hard is not None:
        grey, earlier = clinical.process_image(grey, inside, hard, scan.site, earlier)
    image = compose(grey, inside, scan.site, pose, np.random.default_rng(scan.overlay_seed))
    return image, abs(z) < IN_PLANE_Z, earlier


def write_sweep(out: str | Path, seconds: float, cleft: str, seed: int, fps: float = 30.0,
                severity: float | None = None, progress: bool | None = None,
                difficulty: str = "standard") -> tuple[Path, Path]:
    """Write the video and `<stem>.labels.csv` beside it, atomically. Returns both paths."""
    out = Path(out)
    if out.suffix.lower() not in (".mp4", ".avi"):
        raise CleftEdgeError(f"--out {out}", "a .mp4 (or .avi) file name", "e.g. --out sweep.mp4")
    labels = out.with_name(out.stem + ".labels.csv")
    next(iter_sweep(seconds, cleft, seed, fps, severity, difficulty), None)  # argument checks before writing
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sweep.", dir=out.parent))
    try:
        video = tmp / out.name
        fourcc = cv2.VideoWriter_fourcc(*("mp4v" if out.suffix.lower() == ".mp4" else "MJPG"))
        writer = cv2.VideoWriter(str(video), fourcc, fps, (640, 480))
        if not writer.isOpened():
            raise CleftEdgeError(f"OpenCV cannot write {out.suffix} video here", "an OpenCV build with mp4v",
                                 "use --out sweep.avi")
        rows = []
        with Progress(int(round(seconds * fps)), "simulate sweep", progress) as bar:
            for f in iter_sweep(seconds, cleft, seed, fps, severity, difficulty):
                writer.write(f.image)
                rows.append((f.index, int(f.in_plane), int(f.cleft)))
                bar.update()
        writer.release()
        with open(tmp / labels.name, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(("frame", "in_plane", "cleft"))
            w.writerows(rows)
        os.replace(tmp / labels.name, labels)
        os.replace(video, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out, labels
