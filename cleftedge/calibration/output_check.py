"""Every recipe checks its own output before it is written: the model loads on its backend
(onnxruntime for the Q/DQ ONNX files, OpenVINO for an IR), runs on a few calibration frames with
finite scores of the right shape, carries the spec and the calibration record, and, for the TensorRT
recipe, is a valid ONNX (onnx.checker, full check) that meets TensorRT's Q/DQ rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.targets import TARGETS

CHECK_FRAMES = 4


def _refuse(target: str, problem: str, fix: str = "report this with the model; nothing was written") -> CleftEdgeError:
    return CleftEdgeError(f"the {target} recipe wrote a model that {problem}",
                          "a calibrated model that loads and runs on its backend, with its spec and record", fix)


def check_onnx_valid(path: Path, what: str) -> None:
    """onnx.checker with the full check (shape inference included): one line when it fails."""
    from cleftedge.export.onnx_meta import load_onnx
    from cleftedge.lazy import require

    onnx = require("onnx", "build")
    try:
        onnx.checker.check_model(load_onnx(path), full_check=True)
    except CleftEdgeError:
        raise
    except Exception as exc:  # ValidationError, InferenceError: C++ text, first line is the point
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise CleftEdgeError(f"{what} is not a valid ONNX model ({first})", "a model onnx.checker accepts "
                             "(full check)", "re-create it with 'cleftedge calibrate --target tensorrt'") from None


def check_output(path: Path, target: str, spec, tensors: list[np.ndarray], record: dict) -> None:
    """Raise a one-line CleftEdgeError when the recipe's output at `path` is not what it must be."""
    from cleftedge.calibration.record import read_record
    from cleftedge.runtime.backends import open_backend
    from cleftedge.runtime.model_spec import resolve_spec
    from cleftedge.runtime.scoring import scores_from_output

    if target == "tensorrt":
        check_onnx_valid(path, "the TensorRT recipe's output")
        _check_qdq(path)
    batch = np.concatenate(tensors[:CHECK_FRAMES]) if tensors else np.zeros((1, *spec.input.shape), np.float32)
    try:
        with open_backend(path, backend=TARGETS[target].check_backend, spec=spec) as b:
            raw = b.infer(batch)
    except CleftEdgeError as exc:
        raise _refuse(target, f"does not load or run on {TARGETS[target].check_backend} ({exc.what})") from None
    except Exception as exc:  # the backends' own error types (onnxruntime, OpenVINO)
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise _refuse(target, f"does not load or run on {TARGETS[target].check_backend} ({first})") from None
    if spec.output.name not in raw:
        raise _refuse(target, f"has no output '{spec.output.name}'")
    scores = scores_from_output(spec.output, raw[spec.output.name])
    if scores.shape[0] != batch.shape[0] or not np.all(np.isfinite(scores)):
        raise _refuse(target, f"gives {scores.shape[0]} scores (finite: {bool(np.all(np.isfinite(scores)))}) "
                      f"for {batch.shape[0]} frames")
    if resolve_spec(path) != spec:
        raise _refuse(target, "does not carry the model's spec")
    got = read_record(path)
    if not got or got.get("source_sha256") != record.get("source_sha256") or got.get("target") != target:
        raise _refuse(target, "does not carry its calibration record")


def _check_qdq(path: Path) -> None:
    from cleftedge.export.onnx_meta import load_onnx
    from cleftedge.export.qdq_rules import check_model

    violations = check_model(load_onnx(path))
    if violations:
        raise CleftEdgeError(f"the TensorRT recipe's output breaks TensorRT's Q/DQ rules: {violations[0].line()}",
                             "int8, zero point 0, per-tensor activations, per-channel weights on the output axis",
                             "report this; nothing was written")
