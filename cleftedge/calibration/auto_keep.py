"""--diagnose and --auto-keep-float: rank layers by quantization error, and keep the worst in float
until the candidate agrees with the FP32 model on the validation set (or a limit is reached)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from cleftedge.calibration.calibrate import CalibrateRequest, run_calibration, tensors_for
from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.diagnose import latency_ms, parity, rank_layers
from cleftedge.calibration.subset import stratified_subset
from cleftedge.runtime.model_spec import resolve_spec

BACKEND = {"tensorrt": "onnxruntime", "onnxruntime": "onnxruntime", "openvino": "openvino"}


def _scores(model_path: Path, backend: str, tensors: list[np.ndarray], spec) -> np.ndarray:
    from cleftedge.runtime.backends import open_backend
    from cleftedge.runtime.scoring import scores_from_output

    with open_backend(model_path, backend=backend, spec=spec) as b:
        raw = b.infer(np.concatenate(tensors))
    return scores_from_output(spec.output, raw[spec.output.name])


def diagnose(req: CalibrateRequest) -> list[dict]:
    """Worst layers first. An OpenVINO IR is ranked through a TensorRT-style Q/DQ twin (same nodes)."""
    spec = resolve_spec(req.model)
    data = open_dataset(req.data)
    tensors = tensors_for(data, stratified_subset(data, min(req.subset_size, 64), req.seed), spec, "diagnosis")
    qdq = req.out
    with tempfile.TemporaryDirectory() as tmp:
        if req.target == "openvino":
            qdq = Path(tmp) / "twin.onnx"
            run_calibration(replace(req, target="tensorrt", out=qdq, max_drop=None))
        return rank_layers(req.model, qdq, spec.input.name, tensors)


def auto_keep_float(req: CalibrateRequest, max_keep: int, gate: dict) -> dict:
    spec = resolve_spec(req.model)
    val = open_dataset(req.val_data)
    tensors = tensors_for(val, val.records, spec, "validation frames")
    positive = np.array([r.positive for r in val.records])
    reference = _scores(req.model, "onnxruntime", tensors, spec)
    backend = BACKEND[req.target]
    before = latency_ms(req.out, backend, tensors[0])
    ranking = diagnose(req)
    kept = list(req.keep_float)
    while True:
        p = parity(reference, _scores(req.out, backend, tensors, spec), positive, spec.output.threshold)
        passed = p["agreement"] >= gate["agreement"] and p["auc_drop"] <= gate["auc_drop"]
        worst = next((r["node"] for r in ranking if r["node"] not in kept), None)
        if passed or worst is None or len(kept) - len(req.keep_float) >= max_keep:
            break
        kept.append(worst)
        run_calibration(replace(req, keep_float=kept))
    return {"kept": kept[len(req.keep_float):], "passed": passed, **p, "latency_ms_before": before,
            "latency_ms_after": latency_ms(req.out, backend, tensors[0]), "gate": gate}
