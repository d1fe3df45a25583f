"""From a model's raw class output to one cleft score per frame, as the spec says, and the one
rule that flags a score (at or above the threshold), for a frame or a whole array of scores."""

from __future__ import annotations

from typing import overload

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.spec import OutputSpec


def scores_from_output(out: OutputSpec, raw: np.ndarray) -> np.ndarray:
    """Return float64 scores in [0, 1], one per batch row: the summed probability of the
    positive classes after the spec's activation."""
    x = np.asarray(raw, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        x = x.reshape(x.shape[0], -1)
    n_classes = x.shape[1]
    if n_classes != len(out.class_names):
        raise CleftEdgeError(
            f"output '{out.name}' has {n_classes} classes",
            f"{len(out.class_names)} as the spec's class_names {list(out.class_names)}",
            "fix output.class_names in the spec",
        )
    if out.activation == "softmax":
        x = x - x.max(axis=1, keepdims=True)
        e = np.exp(x)
        p = e / e.sum(axis=1, keepdims=True)
    elif out.activation == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-x))
    else:
        p = x
    s = p[:, list(out.positive_classes)].sum(axis=1)
    return np.clip(s, 0.0, 1.0)


@overload
def flagged(scores: float, threshold: float) -> bool: ...
@overload
def flagged(scores: np.ndarray, threshold: float) -> np.ndarray: ...


def flagged(scores: float | np.ndarray, threshold: float) -> bool | np.ndarray:
    """The flag decision, written once: a score at or above the threshold is flagged. A number gives
    a bool; an array (or list) of scores gives a bool array of the same shape."""
    if isinstance(scores, (int, float, np.floating, np.integer)):
        return bool(scores >= threshold)
    return np.asarray(scores, dtype=np.float64) >= threshold
