"""Simulated data sets: cases (fetuses) with several frames each, in memory or written to disk.

On disk: one folder per label with PNGs, manifest.csv (path relative to the folder) and
labels.json (the label map). Case ids carry the seed, so sets made with different seeds never
share a case.
"""

from __future__ import annotations

import csv
import json
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from cleftedge.atomic import atomic_dir
from cleftedge.errors import CleftEdgeError
from cleftedge.progress import Progress
from cleftedge.simulator import clinical, scene
from cleftedge.simulator.labels import LABELS, label_map
from cleftedge.simulator.overlays import SITES, STYLES
from cleftedge.simulator.render import OFF_PLANE_KINDS, Conditions, Pose, SimFrame, render_frame

# Share of cases per kind; off-plane frames come from every kind of case.
CASE_MIX = {"normal": 0.5, "unilateral_left": 0.17, "unilateral_right": 0.17, "bilateral": 0.16}
_CLEFT = {"normal": "none", "unilateral_left": "left", "unilateral_right": "right", "bilateral": "both"}
MANIFEST_COLUMNS = ("path", "label", "case_id", "site", "severity", "lip_x0", "lip_y0", "lip_x1", "lip_y1")


@dataclass(frozen=True)
class Case:
    case_id: str
    label: str  # the case's in-plane label
    site: str
    anatomy: scene.Anatomy


def sample_case(rng: np.random.Generator, case_id: str, sites: tuple[str, ...] = SITES,
                difficulty: str = "standard") -> Case:
    """One fetus: its label (by CASE_MIX), site (one of `sites`) and anatomy; severity from 0.1 (standard) or down to
    a notch (clinical)."""
    label = str(rng.choice(list(CASE_MIX), p=list(CASE_MIX.values())))
    if label == "normal":
        severity = 0.0
    else:  # clinical difficulty reaches down to a notch (0.05); standard starts at 0.1
        severity = clinical.subtle_severity(rng) if difficulty == "clinical" else float(rng.uniform(0.1, 1.0))
    return Case(case_id, label, str(rng.choice(sites)), scene.Anatomy.sample(rng, _CLEFT[label], severity))


def case_frame(case: Case, rng: np.random.Generator, off_plane: bool, difficulty: str = "standard") -> SimFrame:
    """One frame of `case` with a fresh pose: off-plane (`off_plane`, of a random kind) or in plane with the cleft's
    width varied a little."""
    pose = Pose.sample(rng, STYLES[case.site].gain_habit)
    if off_plane:
        kind = str(rng.choice(OFF_PLANE_KINDS))
        return render_frame("off_plane", 0.0, rng, case.anatomy, pose, Conditions(case.site, difficulty),
                            off_plane_kind=kind)
    # the cleft's visible width varies a little from frame to frame (plane, pressure)
    anatomy = case.anatomy
    if anatomy.severity > 0:
        anatomy = replace(anatomy, severity=float(np.clip(anatomy.severity * rng.uniform(0.85, 1.1), 0.05, 1.0)))
    return render_frame(case.label, anatomy.severity, rng, anatomy, pose, Conditions(case.site, difficulty))


def generate(count: int, seed: int, frames_per_case: tuple[int, int] = (4, 8), off_plane_fraction: float = 0.15,
             sites: tuple[str, ...] = SITES, difficulty: str = "standard") -> Iterator[tuple[SimFrame, str, str]]:
    """Yield (frame, case_id, site) until `count` frames, deterministically by seed and difficulty."""
    check_difficulty(difficulty)
    rng = np.random.default_rng(seed)
    made, n_case = 0, 0
    while made < count:
        case = sample_case(rng, f"s{seed}-c{n_case:05d}", sites, difficulty)
        n_case += 1
        for _ in range(int(rng.integers(frames_per_case[0], frames_per_case[1] + 1))):
            if made >= count:
                return
            off_plane = bool(rng.random() < off_plane_fraction)
            yield case_frame(case, rng, off_plane, difficulty), case.case_id, case.site
            made += 1


def check_difficulty(difficulty: str) -> None:
    """Refuse (CleftEdgeError) a --difficulty that is not one of clinical.DIFFICULTIES."""
    if difficulty not in clinical.DIFFICULTIES:
        raise CleftEdgeError(f"--difficulty {difficulty}", "one of " + ", ".join(clinical.DIFFICULTIES),
                             "e.g. --difficulty clinical")


def _check_args(count: int, frames_per_case: tuple[int, int], off_plane_fraction: float) -> None:
    if count < 1:
        raise CleftEdgeError(f"--count {count}", "a positive number of frames", "e.g. --count 2000")
    lo, hi = frames_per_case
    if not 1 <= lo <= hi:
        raise CleftEdgeError(f"frames per case {lo}..{hi}", "1 <= min <= max", "e.g. --frames-per-case 4 8")
    if not 0.0 <= off_plane_fraction < 1.0:
        raise CleftEdgeError(f"--off-plane-fraction {off_plane_fraction}", "a fraction from 0 to below 1",
                             "e.g. --off-plane-fraction 0.15")


def _write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):  # fast, lossless
        raise CleftEdgeError(f"could not write {path}", "a writable output folder", "check the disk and --out")


def _png_writers() -> int:
    """Threads that encode PNGs while the next frame renders: the cores, from 1 to 4."""
    return max(1, min(4, os.cpu_count() or 1))


def write_frames(out_dir: str | Path, count: int, seed: int, frames_per_case: tuple[int, int] = (4, 8),
                 off_plane_fraction: float = 0.15, sites: tuple[str, ...] = SITES,
                 progress: bool | None = None, difficulty: str = "standard") -> Path:
    """Write a data set atomically; return the manifest's path."""
    _check_args(count, frames_per_case, off_plane_fraction)
    check_difficulty(difficulty)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise CleftEdgeError(f"output folder {out} exists and is not empty", "a new or empty folder",
                             "choose another --out or remove the folder")
    with atomic_dir(out, replace=True) as tmp:
        for label in LABELS:
            (tmp / label).mkdir()
        rows = []
        # encoding a PNG costs about as much as rendering the frame: a few threads encode (OpenCV releases the
        # GIL) while the next frame renders in order, so the set is byte for byte the same; at most 2 x writers
        # frames wait in memory
        writers = _png_writers()
        with Progress(count, "simulate frames", progress) as bar, ThreadPoolExecutor(writers) as pool:
            pending: deque[Future[None]] = deque()
            for i, (frame, case_id, site) in enumerate(generate(count, seed, frames_per_case, off_plane_fraction,
                                                                 sites, difficulty)):
                rel = f"{frame.label}/{i:06d}.png"
                pending.append(pool.submit(_write_png, tmp / rel, frame.image))
                box = frame.lip_box or ("", "", "", "")
                rows.append((rel, frame.label, case_id, site, f"{frame.severity:.4f}", *box))
                while len(pending) > 2 * writers or (pending and pending[0].done()):
                    pending.popleft().result()
                    bar.update()
            while pending:
                pending.popleft().result()
                bar.update()
        with open(tmp / "manifest.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(MANIFEST_COLUMNS)
            w.writerows(rows)
        meta = {**label_map(), "generator": {"command": "cleftedge simulate frames", "seed": seed, "count": count,
                                             "frames_per_case": list(frames_per_case),
                                             "off_plane_fraction": off_plane_fraction}}
        if difficulty != "standard":  # standard sets keep their labels.json byte for byte
            meta["generator"]["difficulty"] = difficulty
        (tmp / "labels.json").write_text(json.dumps(meta, indent=2) + "\n")
    return out / "manifest.csv"
