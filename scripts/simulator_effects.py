"""Draw docs/images/clinical_*.png: one picture per clinical-difficulty effect, the same frame without
(left) and with the effect (right); one picture of the four sites' processing chains.

    .venv/bin/python scripts/simulator_effects.py [OUT_DIR]    (default docs/images)
    .venv/bin/python scripts/simulator_effects.py --table      (the effect table of docs/simulator.md)
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from cleftedge.simulator import clinical, scene
from cleftedge.simulator.overlays import SITES
from cleftedge.simulator.render import Conditions, Pose, render_frame

SEED = 5
STRENGTH = 0.9


def _frame(label, severity, hard=None, site="site-A", difficulty="clinical"):
    """The same fetus, pose and speckle each time: only `hard` differs."""
    rng = np.random.default_rng(SEED)
    anatomy = scene.Anatomy.sample(rng, {"normal": "none", "unilateral_right": "right"}[label], severity)
    pose = Pose.sample(rng)
    empty = clinical.Clinical({}, (), 1.0, (), (0.0, 0.0), (0.0, 0, 0), (0.0, 0.0))
    return render_frame(label, severity, rng, anatomy, pose, Conditions(site, difficulty, hard or empty)).image


def _crop(img):
    return cv2.resize(img[40:440, 80:560], (264, 220), interpolation=cv2.INTER_AREA)


def _pair(left, right, title_left, title_right):
    out = np.concatenate([_crop(left), np.zeros((220, 6, 3), np.uint8), _crop(right)], axis=1)
    for x, text in ((4, title_left), (274, title_right)):
        cv2.putText(out, text, (x, 214), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 230, 255), 1, cv2.LINE_AA)
    return out


def write_pictures(out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    base = _frame("normal", 0.0)
    for name in clinical.EFFECTS:
        if name == "subtle":
            img = _pair(_frame("unilateral_right", 0.6), _frame("unilateral_right", 0.05),
                        "cleft, severity 0.6", "notch, severity 0.05")
        elif name == "near_plane":
            img = _pair(_frame("unilateral_right", 0.5), _frame("unilateral_right", 0.5,
                                                                clinical.only(name, 0.7)),
                        "cleft, severity 0.5, in plane", "the same, near-plane (0.7)")
        else:
            rng = np.random.default_rng(3)
            hard = clinical.only(name, STRENGTH, rng)
            if hard.occluders:  # put the look-alike on the lip so the picture shows it
                hard = replace(hard, occluders=(replace(hard.occluders[0], u=0.12, v=-0.2, angle=0.2),))
            img = _pair(base, _frame("normal", 0.0, hard), "normal lip, no effect", f"{name} ({STRENGTH})")
        path = out / f"clinical_{name}.png"
        cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        paths.append(path)
    sites = [_crop(_frame("normal", 0.0, site=s)) for s in SITES]
    grid = np.concatenate([np.concatenate(sites[:2], 1), np.concatenate(sites[2:], 1)], 0)
    for i, s in enumerate(SITES):
        chain = clinical.SITE_CHAINS[s]
        cv2.putText(grid, f"{s}: {chain.speckle_reduction}, edge {chain.edge}, gamma {chain.gamma}",
                    (4 + 264 * (i % 2), 214 + 220 * (i // 2)), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (0, 230, 255), 1,
                    cv2.LINE_AA)
    path = out / "clinical_site_chains.png"
    cv2.imwrite(str(path), grid, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return [*paths, path]


def effect_table() -> str:
    """The markdown table of docs/simulator.md, from clinical.EFFECTS."""
    rows = ["| effect | group | probability | strength | what it does | picture |", "|---|---|---|---|---|---|"]
    for e in clinical.EFFECTS.values():
        per = "per cleft case" if e.name == "subtle" else "per frame"
        rows.append(f"| `{e.name}` | {e.group} | {e.probability:.2f} {per} | {e.strength[0]:g}-{e.strength[1]:g} | "
                    f"{e.what} | ![{e.name}](images/clinical_{e.name}.png) |")
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        print(effect_table())
        sys.exit(0)
    for p in write_pictures(sys.argv[1] if len(sys.argv) > 1 else "docs/images"):
        print(p)
