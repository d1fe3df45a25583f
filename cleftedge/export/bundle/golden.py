"""Golden frames: a few simulator frames as PNG and the scores the built engine gives them, so a
cart can run a known-answer test before it trusts the engine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2

if TYPE_CHECKING:
    from cleftedge.spec import ModelSpec

GOLDEN_TOLERANCE = 0.02  # absolute score difference the known-answer test allows
GOLDEN = (("normal", 0.0), ("bilateral", 0.7), ("unilateral_left", 0.5), ("off_plane", 0.0))


def write_golden(folder: Path, spec: ModelSpec, backend: str, device: str, engine: Path,
                 options: dict | None = None) -> dict:
    """A few simulator frames and the scores the built engine gives them (opened with `options`,
    as the cart will open it: e.g. a TensorRT DLA plan on its DLA core)."""
    import numpy as np

    from cleftedge.runtime.backends import open_backend
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.runtime.scoring import scores_from_output
    from cleftedge.simulator.render import render_frame

    (folder / "golden").mkdir()
    frames, entries = [], []
    for i, (label, severity) in enumerate(GOLDEN):
        image = render_frame(label, severity, np.random.default_rng(7000 + i)).image
        rel = f"golden/{i:02d}_{label}.png"
        cv2.imwrite(str(folder / rel), image)
        frames.append(cv2.imread(str(folder / rel), cv2.IMREAD_UNCHANGED))  # exactly what the cart will read
        entries.append({"file": rel, "label": label})
    with open_backend(engine, backend=backend, device=device, spec=spec, **(options or {})) as b:
        raw = b.infer(Preprocessor(spec.input).batch(frames))
    for entry, score in zip(entries, scores_from_output(spec.output, raw[spec.output.name]), strict=True):
        entry["score"] = float(score)
    return {"frames": entries, "tolerance": GOLDEN_TOLERANCE}
