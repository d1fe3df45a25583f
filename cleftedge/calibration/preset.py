"""--preset: a short, ordered list of recipe settings tried on the validation set; the first whose
decisions pass the QA gate there is kept. Each attempt is printed with its agreement, the bound the
gate judged and its measured latency. One table per target: the order is cheapest first, and every
entry is a setting that matters for real CNN classifiers (the calibration method, bias correction,
the first and last layers in float, accuracy-controlled quantization)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from cleftedge.calibration.calibrate import CalibrateRequest, run_calibration
from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.diagnose import latency_ms
from cleftedge.calibration.staging import companions
from cleftedge.calibration.val_gate import gate_on_validation, load_validation, model_scores
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.model_spec import resolve_spec
from cleftedge.targets import TARGETS

LATENCY_RUNS = 40
# name, request changes; "ends" keeps the first and last weighted layers in float.
ORT_PRESET = (("minmax", {"method": "minmax"}), ("percentile", {"method": "percentile"}),
              ("entropy", {"method": "entropy"}), ("minmax, first+last float", {"method": "minmax", "ends": True}),
              ("percentile, first+last float", {"method": "percentile", "ends": True}))
OV_PRESET = (("nncf", {}), ("nncf, asymmetric activations", {"activations": "asymmetric"}),
             ("nncf, accurate bias correction", {"bias_correction": "accurate"}),
             ("nncf, asymmetric, first+last float", {"activations": "asymmetric", "ends": True}),
             ("nncf accuracy control (agreement)", {"activations": "asymmetric", "accuracy_control": True}))
PRESETS = {"tensorrt": ORT_PRESET, "onnxruntime": ORT_PRESET, "openvino": OV_PRESET}


def end_layers(model: Path) -> list[str]:
    """The first and the last Conv/Gemm/MatMul node (graph order is topological in a valid ONNX)."""
    from cleftedge.export.onnx_meta import load_onnx

    weighted = [n.name for n in load_onnx(model).graph.node if n.op_type in ("Conv", "Gemm", "MatMul") and n.name]
    return list(dict.fromkeys(weighted[:1] + weighted[-1:]))


def attempt_request(req: CalibrateRequest, change: dict, out: Path, policy) -> CalibrateRequest:
    """The request for one attempt of a preset: `req` with the attempt's `change` (method, end layers in float,
    accuracy control within the `policy`'s agreement, options) writing to `out`."""
    keep = list(req.keep_float) + [n for n in (end_layers(req.model) if change.get("ends") else [])
                                   if n not in req.keep_float]
    max_drop = None
    if change.get("accuracy_control"):  # NNCF's budget: a quarter of what the gate allows to flip
        max_drop = max(0.001, (1.0 - policy.min_agreement) / 4)
    options = {k: change[k] for k in ("bias_correction", "activations") if k in change}
    return replace(req, out=out, method=change.get("method"), keep_float=keep, max_drop=max_drop, options=options)


def _line(i: int, n: int, name: str, g: dict, ms: float, fp32_ms: float) -> str:
    bound = g["agreement_bound"]
    shown = "undefined" if bound is None else f"{bound:.4f}"
    verdict = "PASS" if g["passed"] else "fail: " + "; ".join(g["reasons"][:1])
    return (f"preset {i}/{n} {name}: agreement {g['agreement']:.4f} (bound {shown}), {g['flips']} of {g['frames']} "
            f"flipped, {ms:.2f} ms vs FP32 {fp32_ms:.2f} ms: {verdict}")


def run_preset(req: CalibrateRequest, policy, echo=print) -> dict:
    """Try PRESETS[target] in order on req.val_data; the first that passes is written to req.out."""
    if req.target not in PRESETS:  # a target added to the table without a preset list of its own
        raise CleftEdgeError(f"--preset for the {req.target} recipe", "a recipe with a preset list: "
                             + ", ".join(PRESETS), "calibrate without --preset (set --method, --keep-float)")
    spec = resolve_spec(req.model)
    val = load_validation(open_dataset(req.val_data), spec)
    reference = model_scores(req.model, "onnxruntime", val.tensors, spec)
    backend = TARGETS[req.target].check_backend
    fp32_ms = latency_ms(req.model, backend, val.tensors[:1], LATENCY_RUNS)
    table = PRESETS[req.target]
    attempts = []
    with tempfile.TemporaryDirectory(dir=req.out.parent, prefix=".preset.") as tmp:
        for i, (name, change) in enumerate(table, 1):
            trial = attempt_request(req, change, Path(tmp) / f"attempt{i}{req.out.suffix}", policy)
            summary = run_calibration(trial)
            g = gate_on_validation(val, reference, model_scores(trial.out, backend, val.tensors, spec),
                                   spec.output.threshold, policy)
            ms = latency_ms(trial.out, backend, val.tensors[:1], LATENCY_RUNS)
            attempts.append({"attempt": i, "name": name, "method": summary["method"], "keep_float": trial.keep_float,
                             "seconds": summary["seconds"], **g, "latency_ms": ms})
            echo(_line(i, len(table), name, g, ms, fp32_ms))
            if g["passed"]:
                for src, dst in zip(companions(trial.out), companions(req.out), strict=True):
                    if src.exists():
                        shutil.move(str(src), str(dst))
                req.keep_float[:] = trial.keep_float
                return {"chosen": name, "attempts": attempts, "latency_ms_fp32": fp32_ms, "backend": backend,
                        "summary": summary}
    best = max(attempts, key=lambda a: (a["agreement"] or 0.0))
    raise CleftEdgeError(f"no preset of the {req.target} recipe passed the QA gate on the validation set "
                         f"({len(attempts)} tried; best: {best['name']}, agreement {best['agreement']:.4f}, "
                         f"{best['flips']} flipped); nothing was written",
                         "a calibrated model whose decisions pass the gate on --val-data",
                         "see --diagnose for the worst layers, try --auto-keep-float, or another --target")


def stderr_echo(line: str) -> None:
    """Print a progress line to stderr (so that --json keeps stdout for the result)."""
    print(line, file=sys.stderr, flush=True)
