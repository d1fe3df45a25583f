"""Real frames for export checks: simulator frames through the runtime's preprocessing."""

from __future__ import annotations

import numpy as np

from cleftedge.runtime.preprocess import Preprocessor
from cleftedge.simulator.dataset import generate
from cleftedge.spec import ModelSpec


def sample_batch(spec: ModelSpec, count: int = 8, seed: int = 90210) -> np.ndarray:
    """`count` simulated frames through the runtime's preprocessing for `spec`, stacked (N, C, H, W): the inputs an
    export is checked on."""
    pre = Preprocessor(spec.input)
    return np.stack([pre(frame.image) for frame, _, _ in generate(count, seed)])
