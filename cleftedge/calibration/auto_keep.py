"""--diagnose and --auto-keep-float: rank layers by quantization error, and keep the worst in float
until the candidate agrees with the FP32 model on the validation set (or a limit is reached), then
say what was kept and what it cost in latency (measured before and after, same backend)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from cleftedge.calibration.calibrate import CalibrateRequest, labelled_tensors, run_calibration, tensors_for
from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.diagnose import latency_ms, parity, rank_layers
from cleftedge.calibration.subset import stratified_subset
from cleftedge.runtime.model_spec import resolve_spec

# How a recipe's output is judged here: a TensorRT recipe's Q/DQ ONNX on onnxruntime (a proxy).
BACKEND = {"tensorrt": "onnxruntime", "onnxruntime": "onnxruntime", "openvino": "openvino"}
LATENCY_RUNS = 40
DIAGNOSIS_FRAMES = 64


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
    tensors = tensors_for(data, stratified_subset(data, min(req.subset_size, DIAGNOSIS_FRAMES), req.seed), spec,
                          "diagnosis frames")
    with tempfile.TemporaryDirectory() as tmp:
        qdq = req.out
        if req.target == "openvino":
            qdq = Path(tmp) / "twin.onnx"
            run_calibration(replace(req, target="tensorrt", out=qdq, max_drop=None, method=None))
        return rank_layers(req.model, qdq, spec.input.name, tensors)


def auto_keep_float(req: CalibrateRequest, max_keep: int, gate: dict) -> dict:
    """Recalibrate with one more of the worst layers in float each round until the gate passes."""
    spec = resolve_spec(req.model)
    val = open_dataset(req.val_data)
    tensors, labels = labelled_tensors(val, val.records, spec, "validation frames")
    positive = np.array(labels)
    reference = _scores(req.model, "onnxruntime", tensors, spec)
    backend = BACKEND[req.target]
    before = latency_ms(req.out, backend, tensors[0], LATENCY_RUNS)
    ranking = diagnose(req)
    start = list(req.keep_float)
    kept = list(start)
    rounds = []
    while True:
        p = parity(reference, _scores(req.out, backend, tensors, spec), positive, spec.output.threshold)
        passed = p["agreement"] >= gate["agreement"] and p["auc_drop"] <= gate["auc_drop"]
        rounds.append({"kept": kept[len(start):], **p, "passed": passed})
        worst = next((r["node"] for r in ranking if r["node"] not in kept), None)
        if passed or worst is None or len(kept) - len(start) >= max_keep:
            break
        kept.append(worst)
        run_calibration(replace(req, keep_float=kept))
    req.keep_float[:] = kept
    after = latency_ms(req.out, backend, tensors[0], LATENCY_RUNS)
    return {"kept": kept[len(start):], "passed": passed, **p, "gate": gate, "rounds": rounds,
            "latency_ms_before": before, "latency_ms_after": after, "latency_runs": LATENCY_RUNS,
            "backend": backend, "ranking": ranking[:8]}
