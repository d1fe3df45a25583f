"""Tiny real ONNX models (built with onnx.helper, a few kB) that carry a cleftedge spec. A module of
its own, not conftest: `from conftest import` clashes with other folders' conftest files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleftedge.spec import METADATA_KEY, ModelSpec

H = W = 16


def make_spec(channels: int = 1, height: int = H, width: int = W, input_name: str = "image",
              output_name: str = "logits", heatmap: str | None = None) -> ModelSpec:
    return ModelSpec.from_dict({
        "model_name": "tiny", "model_version": "1",
        "input": {"name": input_name, "channels": channels, "height": height, "width": width,
                  "color": "GRAY" if channels == 1 else "RGB", "mean": 0.5, "std": 0.25},
        "output": {"name": output_name, "class_names": ["normal", "cleft"], "heatmap": heatmap},
    })


@dataclass(frozen=True)
class TinyGraph:
    """The tiny model's graph, apart from its spec (a test may give them on purpose a spec that does not fit)."""

    channels: int = 1
    height: int = H
    width: int = W
    batch: int | str = "N"  # a symbolic name: a dynamic batch
    input_name: str = "image"
    output_name: str = "logits"
    heatmap: str | None = None  # the name of a heat map output, if the model has one


def make_onnx(path, spec: ModelSpec | None = None, graph: TinyGraph = TinyGraph(), *, seed: int = 0,
              metadata: dict[str, str] | None = None):
    """Conv(3x3) -> ReLU -> global mean -> Gemm gives 2 logits. Logit 1 also gets +4 * mean(x):
    a bright frame scores high, a dark one low (a behaviour the tests can check). Returns `path`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    channels, height, width, batch = graph.channels, graph.height, graph.width, graph.batch
    input_name, output_name, heatmap = graph.input_name, graph.output_name, graph.heatmap

    rng = np.random.default_rng(seed)
    feats = 4
    conv_w = rng.normal(0, 0.5, (feats, channels, 3, 3)).astype(np.float32)
    fc_w = rng.normal(0, 0.5, (2, feats)).astype(np.float32)
    inits = [numpy_helper.from_array(conv_w, "conv_w"), numpy_helper.from_array(fc_w, "fc_w"),
             numpy_helper.from_array(np.array([0.0, 4.0], np.float32), "bright_w")]
    nodes = [
        helper.make_node("Conv", [input_name, "conv_w"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w"], ["fc"], transB=1),
        helper.make_node("ReduceMean", [input_name], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Unsqueeze", ["mean", "one"], ["mean2"]),
        helper.make_node("Mul", ["mean2", "bright_w"], ["bright"]),
        helper.make_node("Add", ["fc", "bright"], [output_name]),
    ]
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "one"))
    outputs = [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [batch, 2])]
    if heatmap:
        nodes.append(helper.make_node("ReduceMean", ["relu"], [heatmap], axes=[1], keepdims=1))
        outputs.append(helper.make_tensor_value_info(heatmap, TensorProto.FLOAT, [batch, 1, height, width]))
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch, channels, height, width])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    props = dict(metadata or {})
    if spec is not None:
        props[METADATA_KEY] = spec.to_json()
    if props:
        helper.set_model_props(model, props)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def random_batch(n: int = 2, channels: int = 1, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (n, channels, H, W)).astype(np.float32)
