"""calibrate: data set -> stratified subset -> the runtime's preprocessing -> the target's recipe ->
(for TensorRT) the Q/DQ rules check -> the calibrated model with its spec and record (in the model
and in `<out>.calibration.json`). Every check on the request runs before anything is written."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cleftedge.calibration.dataset_records import Dataset
from cleftedge.calibration.datasets import check_leakage, open_dataset
from cleftedge.calibration.output_check import check_output
from cleftedge.calibration.recipes import RecipeInput, default_method, methods, output_suffix, recipe
from cleftedge.calibration.record import data_roles, make_record, write_sidecar
from cleftedge.calibration.staging import staged_output
from cleftedge.calibration.subset import stratified_subset
from cleftedge.errors import CleftEdgeError
from cleftedge.export.opset_upgrade import require_opset
from cleftedge.progress import Progress
from cleftedge.runtime.model_spec import resolve_spec
from cleftedge.runtime.preprocess import Preprocessor
from cleftedge.targets import TARGETS


@dataclass
class CalibrateRequest:
    model: Path
    data: Path
    target: str
    out: Path
    method: str | None = None  # None: the target's default (minmax; NNCF's own for openvino)
    subset_size: int = 300
    seed: int = 0
    keep_float: list[str] = field(default_factory=list)
    val_data: Path | None = None
    max_drop: float | None = None
    allow_overlap: bool = False
    reduce_range: bool | None = None  # onnxruntime recipe: None = from this CPU's VNNI flags
    options: dict = field(default_factory=dict)  # recipe options: {"bias_correction": "fast"|"accurate"}


def tensors_for(dataset: Dataset, records, spec, label: str) -> list[np.ndarray]:
    """(1, C, H, W) float32 tensors through the runtime's own Preprocessor (per-frame sector crop)."""
    return labelled_tensors(dataset, records, spec, label)[0]


def labelled_tensors(dataset: Dataset, records, spec, label: str) -> tuple[list[np.ndarray], list[bool]]:
    """Tensors and each one's cleft label, in the order the samples stream (file by file)."""
    pre = Preprocessor(spec.input)
    out, positive = [], []
    with Progress(len(records), label) as bar:
        for sample in dataset.samples(records):
            out.append(pre(sample.image)[None])
            positive.append(bool(sample.positive))
            bar.update()
    return out, positive


def check_request(r: CalibrateRequest) -> None:
    """Refuse a request that cannot run (target, method, --out suffix, sizes, model file) in one line."""
    if r.target not in TARGETS:
        raise CleftEdgeError(f"target {r.target}", "one of " + ", ".join(TARGETS), "e.g. --target tensorrt")
    if r.method is not None and r.method not in methods(r.target):
        raise CleftEdgeError(f"--method {r.method} for the {r.target} recipe", "one of " + ", ".join(
            methods(r.target)), "drop --method (NNCF picks its own ranges)" if r.target == "openvino" else
            "e.g. --method entropy")
    want = output_suffix(r.target)
    if r.out.suffix.lower() != want:
        raise CleftEdgeError(f"--out {r.out} for the {r.target} recipe", f"a file name ending in {want}",
                             f"e.g. --out model.int8{want}")
    if r.subset_size < 1:
        raise CleftEdgeError(f"--subset-size {r.subset_size}", "a positive number", "e.g. --subset-size 300")
    if r.max_drop is not None and (r.target != "openvino" or r.val_data is None):
        raise CleftEdgeError("--max-drop needs --target openvino and --val-data", "an OpenVINO recipe with a "
                             "validation set", "add --val-data DIR (never the QA set)")
    if r.max_drop is not None and not 0 < r.max_drop < 1:
        raise CleftEdgeError(f"--max-drop {r.max_drop}", "an absolute accuracy drop between 0 and 1",
                             "e.g. --max-drop 0.01")
    if r.reduce_range is not None and r.target != "onnxruntime":
        raise CleftEdgeError(f"--reduce-range for the {r.target} recipe", "the onnxruntime recipe",
                             "drop --reduce-range")
    if not r.model.is_file():
        raise CleftEdgeError(f"model {r.model} does not exist", "the FP32 ONNX from 'cleftedge export'",
                             "check --model")
    if r.model.suffix.lower() != ".onnx":
        raise CleftEdgeError(f"model {r.model} is not an .onnx file", "the FP32 ONNX from 'cleftedge export'",
                             "export it first (cleftedge export)")
    if r.out.resolve() == r.model.resolve():
        raise CleftEdgeError(f"--out {r.out} is the input model", "a new file", "pick another --out")


def check_keep_float(model: Path, names: list[str]) -> None:
    """Node names for --keep-float must exist in the FP32 ONNX (a typo would silently keep nothing)."""
    if not names:
        return
    from cleftedge.export.onnx_meta import load_onnx

    nodes = {n.name for n in load_onnx(model).graph.node}
    missing = [n for n in names if n not in nodes]
    if missing:
        weighted = sorted(n.name for n in load_onnx(model).graph.node if n.op_type in ("Conv", "Gemm", "MatMul"))
        raise CleftEdgeError(f"--keep-float {missing[0]}: no such node in {model.name}",
                             "ONNX node names, e.g. " + ", ".join(weighted[:3]),
                             "see 'cleftedge calibrate --diagnose' for the names, worst first")


def run_calibration(r: CalibrateRequest) -> dict:
    """Check a request, then calibrate it (see `calibrate_checked`); returns the run's summary."""
    check_request(r)
    return calibrate_checked(r)


def calibrate_checked(r: CalibrateRequest) -> dict:
    """Calibrate a request that check_request has passed (the command checks the user's request once,
    before it stages the output): the model written to r.out with its sidecar; returns the summary."""
    start = time.monotonic()
    require_opset(r.model)
    check_keep_float(r.model, r.keep_float)
    method = r.method or default_method(r.target)
    spec = resolve_spec(r.model)
    data = open_dataset(r.data)
    val = open_dataset(r.val_data) if r.val_data else None
    if val is not None and not r.allow_overlap:
        check_leakage({"calibration set (--data)": data, "validation set (--val-data)": val})
    subset = stratified_subset(data, r.subset_size, r.seed)
    tensors = tensors_for(data, subset, spec, "calibration frames")
    validation = None
    if val is not None and r.max_drop is not None:
        vt, positive = labelled_tensors(val, val.records, spec, "validation frames")
        validation = list(zip(vt, positive, strict=True))
    strata = dict(sorted(Counter(x.label for x in subset).items()))
    record = make_record(r.target, method, r.model, data, [x.key for x in subset], r.keep_float,
                         {"seed": r.seed, "subset_labels": strata, "validation_hash": val.content_hash() if val
                          else None, "overlap_allowed": bool(r.allow_overlap and val is not None),
                          "roles": data_roles(data, subset, val, tensors)})  # what QA checks its set against
    with staged_output(r.out) as stage:  # nothing lands at --out unless the output passed its own check
        recipe(r.target)(RecipeInput(r.model, spec, tensors, stage, method, list(r.keep_float), record, validation,
                                     r.max_drop, r.reduce_range, r.options))
        check_output(stage, r.target, spec, tensors, record)
        write_sidecar(stage, record)
    return {"out": str(r.out), "recipe": r.target, "method": method, "frames": len(subset), "subset_labels": strata,
            "data_hash": record["data_hash"], "source_sha256": record["source_sha256"], "keep_float": r.keep_float,
            "reduce_range": record.get("reduce_range"), "accuracy_control": record.get("accuracy_control"),
            "qdq_check": "pass" if r.target == "tensorrt" else "n/a", "seconds": round(time.monotonic() - start, 2),
            "sidecar": str(r.out.with_name(r.out.name + ".calibration.json"))}

