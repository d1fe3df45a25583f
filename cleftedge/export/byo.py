"""Bring your own ONNX: check the spec against the graph, upgrade an opset older than 13 (per-channel
Q/DQ needs it), fix dynamic H x W to the spec's size (the batch stays as it is, dynamic if it was),
embed the spec and the export record, run onnx.checker, and compare the original and the fixed model
on onnxruntime (same outputs on the same real frames)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cleftedge.atomic import write_bytes
from cleftedge.errors import CleftEdgeError
from cleftedge.export.onnx_meta import embed_spec, load_onnx, opset_of, set_metadata
from cleftedge.export.opset_upgrade import upgrade_opset
from cleftedge.export.sample_frames import sample_batch
from cleftedge.export.verify import check_model, max_abs_diff, require_close, run_onnx
from cleftedge.lazy import require
from cleftedge.spec import ModelSpec


@dataclass
class ByoResult:
    path: Path
    opset: int
    max_abs_diff: float
    fixed_dims: list[str]
    source_opset: int = 0
    warnings: list[str] = field(default_factory=list)


EXPORT_KEY = "cleftedge.export"


def _graph_inputs(model) -> dict:
    initializers = {i.name for i in model.graph.initializer}
    return {i.name: i for i in model.graph.input if i.name not in initializers}


def _dims(value_info) -> list:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in value_info.type.tensor_type.shape.dim]


def check_against_graph(model, spec: ModelSpec, source: str) -> None:
    """Refuse (CleftEdgeError, naming `source`) a spec that does not fit the ONNX graph `model`: input name, NCHW
    rank, channels, size, output names."""
    inputs = _graph_inputs(model)
    outputs = {o.name: o for o in model.graph.output}
    if spec.input.name not in inputs:
        raise CleftEdgeError(f"{source}: the spec names input '{spec.input.name}', which the graph does not have",
                             "one of " + ", ".join(inputs), "set input.name in the spec to the graph's image input")
    dims = _dims(inputs[spec.input.name])
    if len(dims) != 4:
        raise CleftEdgeError(f"{source}: input '{spec.input.name}' has rank {len(dims)}", "an NCHW image input of "
                             "rank 4", "only NCHW image classifiers are supported")
    if isinstance(dims[1], int) and dims[1] != spec.input.channels:
        raise CleftEdgeError(f"{source}: input '{spec.input.name}' has {dims[1]} channels",
                             f"{spec.input.channels} as the spec says",
                             "fix input.channels and input.color in the spec")
    for axis, want in ((2, spec.input.height), (3, spec.input.width)):
        if isinstance(dims[axis], int) and dims[axis] != want:
            raise CleftEdgeError(f"{source}: input '{spec.input.name}' is fixed at {dims[2]}x{dims[3]} (HxW)",
                                 f"{spec.input.height}x{spec.input.width} as the spec says",
                                 "set input.height and input.width to the model's size")
    for name in filter(None, (spec.output.name, spec.output.heatmap)):
        if name not in outputs:
            raise CleftEdgeError(f"{source}: the spec names output '{name}', which the graph does not have",
                                 "one of " + ", ".join(outputs), "fix output.name / output.heatmap in the spec")
    out_dims = _dims(outputs[spec.output.name])
    if out_dims and isinstance(out_dims[-1], int) and out_dims[-1] != len(spec.output.class_names) \
            and len(out_dims) == 2:
        raise CleftEdgeError(f"{source}: output '{spec.output.name}' has {out_dims[-1]} classes",
                             f"{len(spec.output.class_names)} as output.class_names says", "fix the spec's class_names")


def fix_spatial_dims(model, spec: ModelSpec) -> list[str]:
    """Set dynamic H and W to the spec's size; re-infer the shapes inside the graph."""
    onnx = require("onnx", "build")
    dims = _graph_inputs(model)[spec.input.name].type.tensor_type.shape.dim
    fixed = []
    if not dims[0].HasField("dim_param") and dims[0].dim_value <= 0:  # -1 or 0: a dynamic batch, unnamed
        fixed.append("N=dynamic")
        dims[0].dim_param = "N"
    for axis, want in ((1, spec.input.channels), (2, spec.input.height), (3, spec.input.width)):
        if not dims[axis].HasField("dim_value") or dims[axis].dim_value <= 0:
            fixed.append(f"{'NCHW'[axis]}={want}")
            dims[axis].dim_value = want
    if fixed:
        del model.graph.value_info[:]  # stale shapes from the dynamic graph
        model.CopyFrom(onnx.shape_inference.infer_shapes(model))
    return fixed


def bring_your_own(onnx_path: str | os.PathLike, spec: ModelSpec, out: str | os.PathLike) -> ByoResult:
    """Import a user's ONNX classifier: checked against `spec`, upgraded to the supported opset, fixed spatial dims,
    the spec embedded, run on onnxruntime against the original; written to `out` atomically. Returns what was
    done."""
    source = Path(onnx_path).name
    original = load_onnx(onnx_path, "ONNX")
    original_bytes = original.SerializeToString()
    check_against_graph(original, spec, source)
    source_opset = opset_of(original)
    model = upgrade_opset(load_onnx(onnx_path, "ONNX"), source)
    fixed = fix_spatial_dims(model, spec)
    embed_spec(model, spec)
    set_metadata(model, EXPORT_KEY, json.dumps({"source": source, "source_opset": source_opset,
                                                "opset": opset_of(model), "fixed_dims": fixed}))
    check_model(model, source)
    data = model.SerializeToString()
    frames = sample_batch(spec, 4)
    feeds = {spec.input.name: frames}
    try:
        expected = run_onnx(original_bytes, feeds)
    except CleftEdgeError:
        raise
    except Exception as exc:  # onnxruntime raises its own types for shape/type mismatches
        raise CleftEdgeError(f"{source} does not run on onnxruntime with the spec's input ({str(exc).splitlines()[0]})",
                             f"a model that takes float32 (N, {spec.input.channels}, {spec.input.height}, "
                             f"{spec.input.width})", "check the spec's size, channels and input name") from None
    got = run_onnx(data, feeds)
    diff = max_abs_diff(expected, got)
    require_close(diff, source)
    notes = [w for w in [double_softmax_warning(spec, got[_output_index(model, spec)])] if w]
    for note in notes:
        print(f"cleftedge: warning: {note}", file=sys.stderr)
    write_bytes(out, data)
    return ByoResult(Path(out), opset_of(model), diff, fixed, source_opset, notes)


def _output_index(model, spec: ModelSpec) -> int:
    return [o.name for o in model.graph.output].index(spec.output.name)


def double_softmax_warning(spec: ModelSpec, scores) -> str | None:
    """A warning when an output the spec calls logits already looks like probabilities on real frames
    (every row in [0, 1] and summing to 1): a softmax on top of it would squash every score."""
    import numpy as np

    o = spec.output
    x = np.asarray(scores, np.float64)
    if o.kind != "logits" or x.ndim != 2 or x.shape[1] < 2 or not np.all(np.isfinite(x)):
        return None
    if np.all((x >= -1e-6) & (x <= 1 + 1e-6)) and np.allclose(x.sum(axis=1), 1.0, atol=1e-3):
        return (f"output '{o.name}' is declared as logits (kind = \"logits\", activation = \"{o.activation}\") "
                f"but its rows already sum to 1 on real frames: it looks like probabilities; set "
                f"kind = \"probabilities\" and activation = \"none\" in the spec, or the {o.activation} is applied "
                f"twice")
    return None

