"""One INT8 recipe per target, named by the target table (cleftedge/targets.py; why they differ:
docs/calibration.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cleftedge.lazy import load
from cleftedge.targets import TARGETS, get_target


def methods(target: str) -> tuple[str, ...]:
    """The calibrate --method values of `target`'s recipe (the default first); () for an unknown target."""
    return TARGETS[target].methods if target in TARGETS else ()


def output_suffix(target: str) -> str:
    """The file suffix `target`'s recipe writes (.onnx, .xml)."""
    return get_target(target, "--target").calibrated_suffix


def default_method(target: str) -> str:
    """The --method `target`'s recipe uses when none is given."""
    return methods(target)[0]


@dataclass
class RecipeInput:
    model: Path  # the FP32 ONNX
    spec: object  # its ModelSpec
    tensors: list[np.ndarray]  # calibration inputs (1, C, H, W), through the runtime's preprocessing
    out: Path
    method: str = "minmax"  # one of methods(target)
    keep_float: list[str] = field(default_factory=list)
    record: dict = field(default_factory=dict)
    validation: list[tuple[np.ndarray, bool]] | None = None  # (tensor, positive) for accuracy control
    max_drop: float | None = None
    reduce_range: bool | None = None
    options: dict = field(default_factory=dict)


def recipe(name: str) -> Callable:
    """The recipe function of target `name` (takes a RecipeInput, writes `out`), imported now."""
    return load(get_target(name, "--target").recipe, "build")


class TensorReader:
    """onnxruntime's CalibrationDataReader over prepared (1, C, H, W) tensors, `batch` at a time (a
    model with a dynamic batch runs its calibration passes in batches: same ranges, fewer runs)."""

    def __init__(self, name: str, tensors: list[np.ndarray], batch: int = 1) -> None:
        self.name, self.tensors, self.batch, self.i = name, tensors, max(1, batch), 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        """The next feed {input name: batch}, up to `batch` tensors stacked; None when all are read."""
        if self.i >= len(self.tensors):
            return None
        chunk = self.tensors[self.i:self.i + self.batch]
        self.i += len(chunk)
        return {self.name: chunk[0] if len(chunk) == 1 else np.concatenate(chunk)}

    def rewind(self) -> None:
        """Start again from the first tensor."""
        self.i = 0

    def __iter__(self):  # qdq_loss_debug.collect_activations iterates the reader
        self.rewind()
        return iter(lambda: self.get_next(), None)


def dynamic_batch(model, input_name: str) -> bool:
    """Whether the ONNX model's input takes any batch size (a named or zero first dimension)."""
    for i in model.graph.input:
        if i.name == input_name:
            dims = i.type.tensor_type.shape.dim
            return bool(dims) and (bool(dims[0].dim_param) or dims[0].dim_value == 0)
    return False
