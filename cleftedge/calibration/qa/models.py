"""The two models QA compares, opened as QA runs them (the FP32 reference on onnxruntime, the
candidate on its own backend), and closed again. Used by the local run and by each Ray actor."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.errors import CleftEdgeError

if TYPE_CHECKING:
    from cleftedge.calibration.qa.candidate import CandidatePlan
    from cleftedge.runtime.model import Model
    from cleftedge.spec import ModelSpec


def _base(device: str) -> str:
    """"GPU.0", "gpu:1" -> "GPU": the device kind without its index."""
    return device.strip().upper().split(".")[0].split(":")[0]


def open_qa_models(reference: Path | None, candidate: Path | None, plan: CandidatePlan | None, device: str = "CPU",
                   spec: ModelSpec | None = None, inference_precision: str | None = None,
                   threads: int | None = None) -> tuple[Model | None, Model | None, list[str]]:
    """The reference (true FP32 on onnxruntime) and the candidate, opened as QA runs them, and why
    the candidate's run is a PROXY (beyond a missing backend). CPU inference gets
    `inference_threads()`: the scorer's decoding and preprocessing threads need the rest of the
    machine (a Ray actor gives `threads`, its share of the CPUs). An OpenVINO candidate runs in the
    precision pinned for it: a bundle's own (its
    manifest), else --inference-precision, else f32 on the CPU (what CPU profiles pin)."""
    from cleftedge.runtime.model import Model

    threads = threads or inference_threads()
    ref_model = None
    if reference is not None:
        ref_model = Model.open(reference, backend="onnxruntime", device="CPU", threads=threads)
    cand_model, proxy = None, []
    if candidate is not None:
        assert plan is not None, "a candidate comes with its plan (candidate.plan_candidate)"
        runs_on = plan.run or plan.intended
        cpu = _base(device) == "CPU" and runs_on in ("onnxruntime", "openvino")
        options: dict[str, object] = {"threads": threads} if cpu else {}
        purpose = "qa"
        if plan.bundle_device is not None:
            if inference_precision:
                raise CleftEdgeError(f"--inference-precision {inference_precision} with the bundle {candidate}",
                                     "no --inference-precision for a bundle: it runs in the precision it pinned",
                                     "drop --inference-precision")
            if _base(plan.bundle_device) != _base(device):
                purpose = "qa_proxy"
                options["inference_precision"] = "f32"
                proxy.append(f"the bundle is built for {plan.bundle_device}, which is not judged here: its engine "
                             f"ran on {device} in f32 instead (rerun QA on the cart's {plan.bundle_device})")
        elif runs_on == "openvino":
            options["inference_precision"] = inference_precision or ("f32" if cpu else None)
            options = {k: v for k, v in options.items() if v is not None}
        cand_model = Model.open(candidate, backend=plan.run, device=device, spec=spec, bundle_purpose=purpose,
                                **options)
    return ref_model, cand_model, proxy


def inference_threads() -> int:
    """One core less than the machine has (at least 1). On 2 cores, QA with one inference thread
    per model runs ~3 % faster than with OpenVINO's default of two (benchmarks/bench_qa.py)."""
    return max(1, (os.cpu_count() or 2) - 1)


def close_models(*models: Model | None) -> None:
    """Close every model given (None: not opened), each even when closing another one failed."""
    errors = []
    for model in models:
        if model is not None:
            try:
                model.close()
            except Exception as exc:  # close the others first, then report the first failure
                errors.append(exc)
    if errors:
        raise errors[0]
