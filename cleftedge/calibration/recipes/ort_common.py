"""Shared by the two onnxruntime quantize_static recipes: run it, then stamp spec and record."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from cleftedge.atomic import write_bytes
from cleftedge.calibration.recipes import RecipeInput, TensorReader, dynamic_batch
from cleftedge.calibration.record import METADATA_KEY
from cleftedge.calibration.stdout_guard import stdout_to_stderr
from cleftedge.export.onnx_meta import embed_spec, load_onnx
from cleftedge.lazy import require

CALIBRATION_BATCH = 16


def quantize_static_qdq(r: RecipeInput, activation: str, weight: str, extra_options: dict,
                        reduce_range: bool = False) -> Path:
    """onnxruntime's static Q/DQ quantization of `r.model` with the given activation and weight QuantType names and
    extra options; the spec and the record go into the model's metadata. Returns the written model's path."""
    q = require("onnxruntime.quantization", "onnxruntime")
    methods = {"minmax": q.CalibrationMethod.MinMax, "entropy": q.CalibrationMethod.Entropy,
               "percentile": q.CalibrationMethod.Percentile}
    with tempfile.TemporaryDirectory() as tmp, stdout_to_stderr():
        pre = Path(tmp) / "pre.onnx"
        q.quant_pre_process(str(r.model), str(pre), skip_symbolic_shape=True)
        out = Path(tmp) / "q.onnx"
        # Batches only for min/max: the histogram collectors (entropy, percentile) stack per-batch
        # arrays and fail when the last batch is smaller.
        batched = r.method == "minmax" and dynamic_batch(load_onnx(pre), r.spec.input.name)
        batch = CALIBRATION_BATCH if batched else 1
        q.quantize_static(str(pre), str(out), TensorReader(r.spec.input.name, r.tensors, batch),
                          quant_format=q.QuantFormat.QDQ, per_channel=True,
                          activation_type=getattr(q.QuantType, activation), weight_type=getattr(q.QuantType, weight),
                          op_types_to_quantize=["Conv", "Gemm", "MatMul"], nodes_to_exclude=list(r.keep_float),
                          calibrate_method=methods[r.method], reduce_range=reduce_range,
                          extra_options=extra_options)
        model = load_onnx(out)
    embed_spec(model, r.spec)
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(r.record)
    write_bytes(r.out, model.SerializeToString())
    return r.out
