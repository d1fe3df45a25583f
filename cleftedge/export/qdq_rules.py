"""TensorRT's rules for an explicitly quantized (Q/DQ) ONNX: int8 only, zero point 0, per-tensor
activations, per-channel weights along the output channel (axis 0 for Conv, 1 for ConvTranspose;
for Gemm 0 with transB=1 and 1 without; the last axis for MatMul), values in [-128, 127]. Each
violation names the node. Weights are initializers, quantized either ahead (int8 -> DequantizeLinear)
or in the graph (float -> QuantizeLinear -> DequantizeLinear)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cleftedge.lazy import require

INT8 = 3  # onnx.TensorProto.INT8


@dataclass
class Violation:
    node: str
    rule: str

    def line(self) -> str:
        """The violation as one line that names the node."""
        return f"node '{self.node}': {self.rule}"


class _Graph:
    def __init__(self, model: Any) -> None:
        numpy_helper = require("onnx.numpy_helper", "build", "onnx")
        self.inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        for n in model.graph.node:  # Constant nodes hold weights too in some exporters
            if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
                self.inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        self.producer = {o: n for n in model.graph.node for o in n.output}
        self.consumers: dict[str, list] = {}
        for n in model.graph.node:
            for name in n.input:
                self.consumers.setdefault(name, []).append(n)

    def is_weight(self, n: Any) -> bool:
        """The node quantizes or dequantizes a constant (directly, or through its Q partner)."""
        src = n.input[0]
        if src in self.inits:
            return True
        q = self.producer.get(src)
        return n.op_type == "DequantizeLinear" and q is not None and q.op_type == "QuantizeLinear" and \
            q.input[0] in self.inits

    def weight_user(self, n: Any) -> tuple[Any, int | None]:
        """(the op that takes this weight, which input) following Q -> DQ."""
        outs = [n.output[0]]
        if n.op_type == "QuantizeLinear":
            outs = [d.output[0] for d in self.consumers.get(n.output[0], []) if d.op_type == "DequantizeLinear"]
        for out in outs:
            for user in self.consumers.get(out, []):
                return user, list(user.input).index(out)
        return None, None


def _attr(node: Any, name: str, default: Any) -> Any:
    for a in node.attribute:
        if a.name == name:
            return a.i
    return default


def expected_axis(user: Any, rank: int) -> int | None:
    """The output-channel axis of the weight `user` takes, or None when TensorRT has no rule for it."""
    if user is None:
        return None
    if user.op_type == "Conv":
        return 0
    if user.op_type == "ConvTranspose":
        return 1
    if user.op_type == "Gemm":
        return 0 if _attr(user, "transB", 0) else 1
    if user.op_type == "MatMul":
        return rank - 1
    return None


def check_model(model: Any) -> list[Violation]:
    """Every violation of TensorRT's Q/DQ rules in an onnx ModelProto (empty: TensorRT takes it)."""
    g = _Graph(model)
    qdq = [n for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    if not qdq:
        return [Violation("(model)", "no QuantizeLinear/DequantizeLinear nodes: not an explicitly quantized model")]
    out: list[Violation] = []
    for n in qdq:
        out.extend(_check_node(n, g))
    return out


def _check_node(n: Any, g: _Graph) -> list[Violation]:
    name = n.name or f"{n.op_type}({n.input[0]})"
    v: list[Violation] = []
    scale = g.inits.get(n.input[1]) if len(n.input) > 1 else None
    zp = g.inits.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
    if zp is not None:
        if zp.dtype != np.int8:
            v.append(Violation(name, f"zero point of type {zp.dtype} (TensorRT needs int8; uint8 is asymmetric)"))
        elif np.any(zp != 0):
            v.append(Violation(name, "non-zero zero point (TensorRT needs symmetric quantization, zero point 0)"))
    elif n.op_type == "QuantizeLinear" and _attr(n, "output_dtype", 0) != INT8:
        v.append(Violation(name, "no zero point: the output type defaults to uint8 (TensorRT needs int8)"))
    if scale is None:
        v.append(Violation(name, "scale is not a constant (TensorRT needs constant scales)"))
        return v
    if np.any(~np.isfinite(scale)) or np.any(scale <= 0):
        v.append(Violation(name, "scale not positive and finite"))
    weight = g.is_weight(n)
    if scale.size > 1 and not weight:
        v.append(Violation(name, f"per-channel scale ({scale.size} values) on an activation (TensorRT needs "
                           "per-tensor activations)"))
    if weight:
        v.extend(_check_weight(n, name, scale, g))
    return v


def _check_weight(n: Any, name: str, scale: np.ndarray, g: _Graph) -> list[Violation]:
    v: list[Violation] = []
    w = g.inits.get(n.input[0])
    rank = w.ndim if w is not None else 2
    user, _ = g.weight_user(n)
    if scale.size > 1:
        axis = _attr(n, "axis", 1)
        axis = axis + rank if axis < 0 else axis
        want = expected_axis(user, rank)
        if want is not None and axis != want:
            v.append(Violation(name, f"per-channel weights on axis {axis} for {user.op_type} (TensorRT needs "
                               f"axis {want}, the output channels)"))
    if n.op_type == "DequantizeLinear" and w is not None:
        if w.dtype != np.int8:
            v.append(Violation(name, f"weights of type {w.dtype} (TensorRT needs int8)"))
        elif w.size and (w.min() < -128 or w.max() > 127):
            v.append(Violation(name, "weights outside [-128, 127]"))
    return v
