"""Write one picture per data-set label (for the README): python -m cleftedge.simulator.gallery DIR"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from cleftedge.simulator.labels import LABELS
from cleftedge.simulator.render import Conditions, render_frame

SEVERITY = {"normal": 0.0, "unilateral_left": 0.8, "unilateral_right": 0.3, "bilateral": 0.6, "off_plane": 0.0}


def write_gallery(out_dir: str | Path, seed: int = 2) -> list[Path]:
    """One small PNG per label (sim_<label>.png, 320x240) in `out_dir`, from `seed`. Returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, label in enumerate(LABELS):
        frame = render_frame(label, SEVERITY[label], np.random.default_rng(seed + i),
                             conditions=Conditions(site=f"site-{'ABCD'[i % 4]}"))
        small = cv2.resize(frame.image, (320, 240), interpolation=cv2.INTER_AREA)
        path = out / f"sim_{label}.png"
        cv2.imwrite(str(path), small)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_gallery(sys.argv[1] if len(sys.argv) > 1 else "docs/images"):
        print(p)
