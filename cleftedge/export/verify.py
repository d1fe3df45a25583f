"""Checks on an exported ONNX: onnx.checker, and onnxruntime against a reference on real inputs."""

from __future__ import annotations

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require

MAX_ABS_DIFF = 1e-4


def check_model(model, path_for_messages: str) -> None:
    """Run onnx.checker (full check) on `model`; a failure raises CleftEdgeError naming `path_for_messages`."""
    onnx = require("onnx", "build")
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:
        raise CleftEdgeError(f"{path_for_messages} fails onnx.checker ({str(exc).splitlines()[0]})",
                             "a valid ONNX model", "fix the model or the spec and export again") from None


def run_onnx(model_bytes: bytes, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The outputs of the serialized ONNX model on `feeds`, run on onnxruntime CPU."""
    ort = require("onnxruntime", "onnxruntime")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def max_abs_diff(expected: list[np.ndarray], got: list[np.ndarray]) -> float:
    """The largest absolute difference between two lists of outputs (in float64); outputs of different count raise
    CleftEdgeError."""
    if len(expected) != len(got):
        raise CleftEdgeError(f"the exported model has {len(got)} outputs", f"{len(expected)} as the source",
                             "report this export")
    return max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
               for a, b in zip(expected, got, strict=True))


def require_close(diff: float, what: str, limit: float = MAX_ABS_DIFF) -> None:
    """Refuse (CleftEdgeError) a difference `diff` that is not finite or above `limit`; `what` names the check."""
    if not np.isfinite(diff) or diff > limit:
        raise CleftEdgeError(f"{what}: onnxruntime differs from the source by {diff:.3g}",
                             f"a maximum absolute difference of at most {limit:g}",
                             "check for unsupported ops or a non-deterministic layer; nothing was written")
