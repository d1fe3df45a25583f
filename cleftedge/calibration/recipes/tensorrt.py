"""TensorRT recipe: a Q/DQ ONNX by onnxruntime's quantize_static with TensorRT's rules: int8
symmetric activations and weights, per-channel weights, no bias quantization, only the weighted
ops and their inputs quantized. The checker (qdq_rules) then runs on the output."""

from __future__ import annotations

from pathlib import Path

from cleftedge.calibration.recipes import RecipeInput
from cleftedge.calibration.recipes.ort_common import quantize_static_qdq

EXTRA = {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False,
         "CalibMovingAverage": False}


def quantize_tensorrt(r: RecipeInput) -> Path:
    """The tensorrt recipe: symmetric int8 Q/DQ (activations and weights) as TensorRT's explicit quantization reads
    it. Returns the written model's path."""
    return quantize_static_qdq(r, "QInt8", "QInt8", EXTRA)
