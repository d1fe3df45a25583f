"""What precision a TensorRT engine runs, from its engine inspector's JSON
(`inspector.get_engine_information(LayerInformationFormat.JSON)`), for TensorRT 10.x and 11.x.

Per-layer types are there only when the plan was built with `profiling_verbosity = DETAILED` (the
builder sets it); otherwise "Layers" is a list of names and the precision is "unknown". 10.x names
each layer tensor's type inside one "Format/Datatype" string ("Row major linear FP32", "Thirty-two
wide channel vectorized row major Int8 format") and lists the engine I/O under "Bindings"; 11.x
gives the type in its own field ("Datatype" / "DataType": "Float", "Half", "Int8") beside "Format",
and lists the I/O under "I/O Tensors". Convolution-like layers also carry "Weights": {"Type": ...}."""

from __future__ import annotations

import json
import re
from typing import Any

# The compute precisions, lowest first; index types (Int32, Int64, Bool, UInt8) say nothing of precision.
PRECISIONS = ("fp4", "int4", "fp8", "int8", "fp16", "bf16", "fp32")
TOKENS = {"fp4": "fp4", "int4": "int4", "fp8": "fp8", "float8": "fp8", "e4m3": "fp8", "int8": "int8",
          "fp16": "fp16", "half": "fp16", "float16": "fp16", "bf16": "bf16", "bfloat16": "bf16",
          "fp32": "fp32", "float": "fp32", "float32": "fp32"}
TYPE_KEYS = ("Datatype", "DataType", "Format/Datatype")  # 11.x first: its "Format" may still name a type


def tensor_precision(tensor: Any) -> str | None:
    """The precision of one layer tensor record (either format); None when it names none."""
    if not isinstance(tensor, dict):
        return None
    for key in TYPE_KEYS:
        found = _precision_in(tensor.get(key))
        if found:
            return found
    return _precision_in(tensor.get("Format"))


def _precision_in(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    found = [TOKENS[t] for t in re.findall(r"[a-z0-9]+", text.lower()) if t in TOKENS]
    return min(found, key=PRECISIONS.index) if found else None


def layer_precision(layer: Any) -> str | None:
    """The lowest precision among a layer's inputs, outputs and weights."""
    if not isinstance(layer, dict):
        return None
    found = [tensor_precision(t) for key in ("Inputs", "Outputs") for t in layer.get(key) or []]
    weights = layer.get("Weights")
    if isinstance(weights, dict):
        found.append(_precision_in(weights.get("Type")))
    found = [f for f in found if f]
    return min(found, key=PRECISIONS.index) if found else None


def engine_precision(text: str) -> tuple[str, dict[str, int]]:
    """(lowest precision any layer runs, layers per precision) from the inspector's JSON text;
    ("unknown", {}) for an engine built without detailed profiling verbosity or unreadable text."""
    try:
        info = json.loads(text)
    except (TypeError, ValueError):
        return "unknown", {}
    layers = info.get("Layers") if isinstance(info, dict) else info
    counts: dict[str, int] = {}
    for layer in layers if isinstance(layers, list) else []:
        p = layer_precision(layer)
        if p:
            counts[p] = counts.get(p, 0) + 1
    if not counts:
        return "unknown", {}
    ordered = dict(sorted(counts.items(), key=lambda kv: PRECISIONS.index(kv[0])))
    return next(iter(ordered)), ordered

