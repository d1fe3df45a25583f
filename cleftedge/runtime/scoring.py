"""From a model's raw class output to one cleft score per frame, as the spec says."""

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
