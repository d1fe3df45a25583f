"""PyTorch -> a single-file ONNX with a dynamic batch axis and the spec embedded, checked with
onnx.checker and against torch on real frames (fails above 1e-4)."""

from __future__ import annotations

import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cleftedge.atomic import write_bytes
from cleftedge.errors import CleftEdgeError
from cleftedge.export.onnx_meta import embed_spec, opset_of
from cleftedge.export.verify import check_model, max_abs_diff, require_close, run_onnx
from cleftedge.lazy import require
from cleftedge.spec import ModelSpec

OPSET = 18


@dataclass
class ExportResult:
    path: Path
    opset: int
    max_abs_diff: float
    outputs: list[str]


def export_module(module, spec: ModelSpec, out: str | os.PathLike, frames: np.ndarray,
                  opset: int = OPSET) -> ExportResult:
    """Export `module` (eval mode; returns logits, or (logits, heatmap) when spec.output.heatmap)."""
    torch = require("torch", "build")
    onnx = require("onnx", "build")
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # torchvision-missing chatter
    module.eval()
    outputs = [spec.output.name] + ([spec.output.heatmap] if spec.output.heatmap else [])
    x = torch.from_numpy(np.ascontiguousarray(frames[:2], np.float32))
    batch = torch.export.Dim("batch", min=1, max=1024)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            program = torch.onnx.export(module, (x,), None, input_names=[spec.input.name], output_names=outputs,
                                        dynamic_shapes=({0: batch},), opset_version=opset, dynamo=True,
                                        external_data=False, verbose=False)
        except Exception as exc:
            raise CleftEdgeError(f"torch.onnx.export failed ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                                 "a model the dynamo exporter can trace", "run with --debug for details") from None
    program.save(buf, external_data=False)
    model = onnx.load_from_string(buf.getvalue())
    embed_spec(model, spec)
    check_model(model, str(out))
    data = model.SerializeToString()
    with torch.no_grad():
        expected = module(torch.from_numpy(frames))
    expected = [t.numpy() for t in (expected if isinstance(expected, tuple) else (expected,))]
    got = run_onnx(data, {spec.input.name: frames})
    diff = max_abs_diff(expected, got)
    require_close(diff, str(out))
    write_bytes(out, data)
    return ExportResult(Path(out), opset_of(model), diff, outputs)
