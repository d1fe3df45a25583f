"""--diagnose and --auto-keep-float: rank layers by what quantizing them costs (SQNR per layer, and,
with a validation set, the decisions each one flips), and keep the worst in float until the
candidate passes the QA gate on the validation set (or a limit is reached), measuring the latency
each kept layer costs (same backend, batch 1)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from cleftedge.calibration.calibrate import CalibrateRequest, run_calibration, tensors_for
from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.diagnose import latency_ms, rank_layers
from cleftedge.calibration.subset import stratified_subset
from cleftedge.calibration.val_gate import gate_on_validation, load_validation, model_scores
from cleftedge.runtime.model_spec import resolve_spec
from cleftedge.runtime.scoring import flagged
from cleftedge.targets import TARGETS

LATENCY_RUNS = 40
DIAGNOSIS_FRAMES = 64
FLIP_LAYERS = 6  # layers (worst SQNR first) whose decision flips are measured, one recalibration each


def _quiet(req: CalibrateRequest, out: Path, **changes) -> CalibrateRequest:
    return replace(req, out=out, **changes)


def _sqnr_ranking(req: CalibrateRequest, spec) -> list[dict]:
    data = open_dataset(req.data)
    tensors = tensors_for(data, stratified_subset(data, min(req.subset_size, DIAGNOSIS_FRAMES), req.seed), spec,
                          "diagnosis frames")
    with tempfile.TemporaryDirectory() as tmp:
        qdq = req.out
        if req.target == "openvino":  # an IR is ranked through a TensorRT-style Q/DQ twin (same nodes)
            qdq = Path(tmp) / "twin.onnx"
            run_calibration(_quiet(req, qdq, target="tensorrt", max_drop=None, method=None, options={}))
        return rank_layers(req.model, qdq, spec.input.name, tensors)


def _flips(req: CalibrateRequest, val, ref_flags: np.ndarray, spec, keep: list[str], tmp: Path) -> int:
    out = tmp / f"k{len(list(tmp.iterdir()))}{req.out.suffix}"
    run_calibration(_quiet(req, out, keep_float=keep))
    cand = flagged(model_scores(out, TARGETS[req.target].check_backend, val.tensors, spec), spec.output.threshold)
    return int(np.sum(cand != ref_flags))


def diagnose(req: CalibrateRequest, val=None, reference: np.ndarray | None = None) -> list[dict]:
    """Worst layers first: [{node, tensor, sqnr_db, flips_fixed?}]. With a validation set, the
    FLIP_LAYERS worst by SQNR are each recalibrated alone in float and ranked by how many of the
    calibrated model's decision flips (against FP32) that removes; the rest follow by SQNR."""
    spec = resolve_spec(req.model)
    ranking = _sqnr_ranking(req, spec)
    if val is None:
        return ranking
    ref_flags = flagged(reference, spec.output.threshold)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        base = _flips(req, val, ref_flags, spec, list(req.keep_float), tmp)
        for r in ranking[:FLIP_LAYERS]:
            r["flips_fixed"] = base - _flips(req, val, ref_flags, spec, [*req.keep_float, r["node"]], tmp)
            r["flips_base"] = base
    head = sorted(ranking[:FLIP_LAYERS], key=lambda r: (-r["flips_fixed"], r["sqnr_db"]))
    return head + ranking[FLIP_LAYERS:]


def auto_keep_float(req: CalibrateRequest, max_keep: int, policy) -> dict:
    """Recalibrate with one more of the worst layers in float each round until the QA gate passes on
    the validation set; every round's verdict and latency are kept."""
    spec = resolve_spec(req.model)
    val = load_validation(open_dataset(req.val_data), spec)
    reference = model_scores(req.model, "onnxruntime", val.tensors, spec)
    backend = TARGETS[req.target].check_backend
    one = val.tensors[:1]
    fp32_ms = latency_ms(req.model, backend, one, LATENCY_RUNS)
    ranking = diagnose(req, val, reference)
    start = list(req.keep_float)
    kept = list(start)
    rounds = []
    while True:
        g = gate_on_validation(val, reference, model_scores(req.out, backend, val.tensors, spec),
                               spec.output.threshold, policy)
        ms = latency_ms(req.out, backend, one, LATENCY_RUNS)
        rounds.append({"kept": kept[len(start):], **g, "latency_ms": ms})
        worst = next((r["node"] for r in ranking if r["node"] not in kept), None)
        if g["passed"] or worst is None or len(kept) - len(start) >= max_keep:
            break
        kept.append(worst)
        run_calibration(replace(req, keep_float=kept))
    req.keep_float[:] = kept
    costs = [{"node": b["kept"][-1], "latency_ms_added": round(b["latency_ms"] - a["latency_ms"], 4)}
             for a, b in zip(rounds, rounds[1:], strict=False)]
    return {"kept": kept[len(start):], **rounds[-1], "policy": policy.to_dict(), "rounds": rounds,
            "latency_ms_fp32": fp32_ms, "latency_ms_before": rounds[0]["latency_ms"],
            "latency_ms_after": rounds[-1]["latency_ms"], "layer_costs": costs, "latency_runs": LATENCY_RUNS,
            "backend": backend, "ranking": ranking[:8]}
