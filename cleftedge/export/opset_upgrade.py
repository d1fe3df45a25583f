"""Bring a third-party ONNX up to the opset every recipe needs: per-channel Q/DQ (the `axis`
attribute of QuantizeLinear/DequantizeLinear) exists only from opset 13, so an older model is
converted with onnx.version_converter, and a model that cannot be converted is refused with one line
that names the first op standing in the way."""

from __future__ import annotations

from cleftedge.errors import CleftEdgeError
from cleftedge.export.onnx_meta import opset_of
from cleftedge.lazy import require

MIN_OPSET = 13  # per-channel QuantizeLinear/DequantizeLinear (axis) start here


def blocking_node(model, target: int):
    """The first node of the default domain that has no schema at `target` (removed or unknown ops),
    or None when every op has one. The version converter's own message does not name the op."""
    onnx = require("onnx", "build")
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            continue
        try:
            onnx.defs.get_schema(node.op_type, target, "")
        except Exception:  # SchemaError: no such op at this opset
            return node
    return None


def upgrade_opset(model, source: str, target: int = MIN_OPSET):
    """Return `model` converted to `target` when it is older (else `model` itself)."""
    onnx = require("onnx", "build")
    have = opset_of(model)
    if have >= target:
        return model
    node = blocking_node(model, target)
    if node is None:
        try:
            return onnx.version_converter.convert_version(model, target)
        except Exception as exc:  # the converter raises RuntimeError/ConvertError with C++ text
            detail = str(exc).strip().splitlines()[-1][:120]
            raise CleftEdgeError(f"{source} (opset {have}) cannot be upgraded to opset {target} ({detail})",
                                 f"a model at opset {target} or newer, or one onnx.version_converter can upgrade",
                                 f"re-export it from its framework at opset {target} or newer") from None
    raise CleftEdgeError(f"{source} (opset {have}) cannot be upgraded to opset {target}: node '{node.name or '?'}' "
                         f"uses op {node.op_type}, which has no definition at opset {target}",
                         f"a model at opset {target} or newer (per-channel Q/DQ needs it)",
                         f"re-export it from its framework at opset {target} or newer, replacing {node.op_type}")


def require_opset(model_path, target: int = MIN_OPSET) -> None:
    """Refuse, before any work, a model too old for per-channel Q/DQ (calibrate's input check)."""
    from cleftedge.export.onnx_meta import load_onnx

    have = opset_of(load_onnx(model_path))
    if have < target:
        raise CleftEdgeError(f"{model_path} is at opset {have}", f"opset {target} or newer (per-channel Q/DQ needs it)",
                             f"upgrade it with 'cleftedge export --onnx {model_path} --spec SPEC --out NEW.onnx'")
