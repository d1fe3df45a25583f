"""Which layers lose the most to quantization: onnxruntime's qdq_loss_debug (SQNR per tensor,
float model vs Q/DQ model on the same frames), ranked worst first, mapped to the nodes that
`--keep-float` takes; and the latency of a model on a backend (median of batch-1 runs)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from cleftedge.calibration.recipes import TensorReader
from cleftedge.calibration.stdout_guard import stdout_to_stderr
from cleftedge.lazy import require

QUANTIZED_OPS = ("Conv", "Gemm", "MatMul")


def rank_layers(float_model: Path, qdq_model: Path, input_name: str, tensors: list[np.ndarray]) -> list[dict]:
    """[{node, tensor, sqnr_db}] for the outputs of Conv/Gemm/MatMul nodes, lowest SQNR first."""
    dbg = require("onnxruntime.quantization.qdq_loss_debug", "onnxruntime")
    onnx = require("onnx", "build")
    q = require("onnxruntime.quantization", "onnxruntime")
    with tempfile.TemporaryDirectory() as tmp, stdout_to_stderr():
        # The recipes quantize the pre-processed graph (Conv+BatchNorm fused, as in most third-party
        # CNNs): compare against that float graph, so that tensor and node names match.
        pre, f_aug, q_aug = Path(tmp) / "pre.onnx", Path(tmp) / "f.onnx", Path(tmp) / "q.onnx"
        q.quant_pre_process(str(float_model), str(pre), skip_symbolic_shape=True)
        float_model = pre
        dbg.modify_model_output_intermediate_tensors(str(float_model), str(f_aug), QUANTIZED_OPS)
        dbg.modify_model_output_intermediate_tensors(str(qdq_model), str(q_aug))
        f_act = dbg.collect_activations(str(f_aug), TensorReader(input_name, tensors))
        q_act = dbg.collect_activations(str(q_aug), TensorReader(input_name, tensors))
        graph = onnx.load(str(float_model)).graph
    # A tensor the Q/DQ model has but the float model does not (another exporter's naming, a fused
    # op) has no "float" entry: onnxruntime's error function would raise KeyError on it.
    matching = {t: m for t, m in dbg.create_activation_matching(q_act, f_act).items()
                if {"float", "pre_qdq", "post_qdq"} <= set(m)}
    errors = dbg.compute_activation_error(matching)
    producer = {o: n.name for n in graph.node if n.op_type in QUANTIZED_OPS for o in n.output}
    ranked = [{"node": producer[t], "tensor": t, "sqnr_db": float(e["xmodel_err"])}
              for t, e in errors.items() if t in producer and "xmodel_err" in e]
    return sorted(ranked, key=lambda r: r["sqnr_db"])


def latency_ms(model_path: Path, backend: str, tensor: np.ndarray, runs: int = 40) -> float:
    """The median milliseconds of one inference of `tensor` on `model_path` with `backend`, over `runs` runs after a
    warm-up."""
    from cleftedge.runtime.backends import open_backend

    with open_backend(model_path, backend=backend) as b:
        b.warmup(5)
        t = []
        for _ in range(runs):
            t0 = time.perf_counter()
            b.infer(tensor)
            t.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(t))
