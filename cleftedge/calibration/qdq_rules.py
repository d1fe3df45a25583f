"""TensorRT's rules for an explicitly quantized (Q/DQ) ONNX: int8 only, zero point 0, per-tensor
activations, per-channel weights along the output channel (axis 0 for Conv and Gemm weights, axis 1
for ConvTranspose), values in [-128, 127]. Each violation names the node."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleftedge.lazy import require

WEIGHT_AXIS = {"Conv": 0, "ConvTranspose": 1, "Gemm": 0, "MatMul": 1}


@dataclass
class Violation:
    node: str
    rule: str

    def line(self) -> str:
        return f"node '{self.node}': {self.rule}"


def check_model(model) -> list[Violation]:
    numpy_helper = require("onnx.numpy_helper", "build", "onnx")
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    consumers: dict[str, list] = {}
    for n in model.graph.node:
        for name in n.input:
            consumers.setdefault(name, []).append(n)
    out: list[Violation] = []
    qdq = [n for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    if not qdq:
        return [Violation("(model)", "no QuantizeLinear/DequantizeLinear nodes: not an explicitly quantized model")]
    for n in qdq:
        out.extend(_check_node(n, inits, consumers))
    return out


def _check_node(n, inits, consumers) -> list[Violation]:
    v = []
    scale = inits.get(n.input[1]) if len(n.input) > 1 else None
    zp = inits.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
    if zp is not None:
        if zp.dtype != np.int8:
            v.append(Violation(n.name, f"zero point of type {zp.dtype} (TensorRT needs int8; uint8 is asymmetric)"))
        elif np.any(zp != 0):
            v.append(Violation(n.name, "non-zero zero point (TensorRT needs symmetric quantization)"))
    elif n.op_type == "QuantizeLinear":
        v.append(Violation(n.name, "no zero point: the output type defaults to uint8 (TensorRT needs int8)"))
    axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
    is_weight = n.op_type == "DequantizeLinear" and n.input[0] in inits
    if scale is not None and scale.size > 1:
        if not is_weight:
            v.append(Violation(n.name, f"per-channel scale ({scale.size} values) on an activation (TensorRT needs "
                               "per-tensor activations)"))
        else:
            users = consumers.get(n.output[0], [])
            op = users[0].op_type if users else ""
            want = WEIGHT_AXIS.get(op, 0)
            if axis != want:
                v.append(Violation(n.name, f"per-channel weights on axis {axis} for {op} (TensorRT needs axis {want})"))
    if is_weight:
        w = inits[n.input[0]]
        if w.dtype != np.int8:
            v.append(Violation(n.name, f"weights of type {w.dtype} (TensorRT needs int8)"))
        elif w.min() < -128 or w.max() > 127:
            v.append(Violation(n.name, "weights outside [-128, 127]"))
    return v
