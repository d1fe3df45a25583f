"""calibrate: data set -> stratified subset -> the runtime's preprocessing -> the target's recipe ->
(for TensorRT) the Q/DQ rules check -> the calibrated model with its spec and record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cleftedge.calibration.datasets import Dataset, check_leakage, open_dataset
from cleftedge.calibration.recipes import METHODS, OUTPUT_SUFFIX, RecipeInput, recipe
from cleftedge.calibration.record import make_record, write_sidecar
from cleftedge.calibration.subset import stratified_subset
from cleftedge.errors import CleftEdgeError
from cleftedge.progress import Progress
from cleftedge.runtime.model_spec import resolve_spec
from cleftedge.runtime.preprocess import Preprocessor


@dataclass
class CalibrateRequest:
    model: Path
    data: Path
    target: str
    out: Path
    method: str = "minmax"
    subset_size: int = 300
    seed: int = 0
    keep_float: list[str] = field(default_factory=list)
    val_data: Path | None = None
    max_drop: float | None = None
    allow_overlap: bool = False
    reduce_range: bool | None = None


def tensors_for(dataset: Dataset, records, spec, label: str) -> list[np.ndarray]:
    pre = Preprocessor(spec.input)
    out = []
    with Progress(len(records), label) as bar:
        for sample in dataset.samples(records):
            out.append(pre(sample.image)[None])
            bar.update()
    return out


def check_request(r: CalibrateRequest) -> None:
    if r.method not in METHODS:
        raise CleftEdgeError(f"--method {r.method}", "one of " + ", ".join(METHODS), "e.g. --method entropy")
    want = OUTPUT_SUFFIX[r.target]
    if r.out.suffix.lower() != want:
        raise CleftEdgeError(f"--out {r.out} for the {r.target} recipe", f"a file name ending in {want}",
                             f"e.g. --out model.int8{want}")
    if r.subset_size < 1:
        raise CleftEdgeError(f"--subset-size {r.subset_size}", "a positive number", "e.g. --subset-size 300")
    if r.max_drop is not None and (r.target != "openvino" or r.val_data is None):
        raise CleftEdgeError("--max-drop needs --target openvino and --val-data", "an OpenVINO recipe with a "
                             "validation set", "add --val-data DIR (never the QA set)")
    if not r.model.is_file():
        raise CleftEdgeError(f"model {r.model} does not exist", "the FP32 ONNX from 'cleftedge export'",
                             "check --model")


def run_calibration(r: CalibrateRequest) -> dict:
    check_request(r)
    spec = resolve_spec(r.model)
    data = open_dataset(r.data)
    val = open_dataset(r.val_data) if r.val_data else None
    if val is not None and not r.allow_overlap:
        check_leakage({"calibration set (--data)": data, "validation set (--val-data)": val})
    subset = stratified_subset(data, r.subset_size, r.seed)
    tensors = tensors_for(data, subset, spec, "calibration frames")
    validation = None
    if val is not None and r.max_drop is not None:
        vt = tensors_for(val, val.records, spec, "validation frames")
        validation = [(t, rec.positive) for t, rec in zip(vt, val.records, strict=True)]
    record = make_record(r.target, r.method, r.model, data, [x.key for x in subset], r.keep_float,
                         {"seed": r.seed, "validation_hash": val.content_hash() if val else None})
    r.out.parent.mkdir(parents=True, exist_ok=True)
    recipe(r.target)(RecipeInput(r.model, spec, tensors, r.out, r.method, list(r.keep_float), record, validation,
                                 r.max_drop, r.reduce_range))
    violations = []
    if r.target == "tensorrt":
        from cleftedge.calibration.qdq_rules import check_model
        from cleftedge.export.onnx_meta import load_onnx

        violations = check_model(load_onnx(r.out))
        if violations:
            r.out.unlink()
            raise CleftEdgeError(f"the TensorRT recipe's output breaks TensorRT's Q/DQ rules: {violations[0].line()}",
                                 "int8, zero point 0, per-tensor activations, per-channel weights on axis 0",
                                 "report this; nothing was written")
    write_sidecar(r.out, record)
    return {"out": str(r.out), "recipe": r.target, "method": r.method, "frames": len(subset),
            "data_hash": record["data_hash"], "keep_float": r.keep_float, "qdq_check": "pass" if
            r.target == "tensorrt" else "n/a"}
