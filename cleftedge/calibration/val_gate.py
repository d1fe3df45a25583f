"""Judge a calibrated model on the validation set the way QA judges it on the locked set: the FP32
model's and the candidate's scores go through the QA gate's own figures and verdict
(`qa.assemble.judged_figures`: the paired figures with their confidence bounds, then the policy),
so the loops that tune (auto keep-float, --preset, accuracy control) pass only what the gate would.
Nothing here re-implements a statistic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cleftedge.runtime.preprocess import Preprocessor
from cleftedge.runtime.scoring import flagged
from cleftedge.spec import ModelSpec

if TYPE_CHECKING:
    from cleftedge.calibration.dataset_records import Dataset


@dataclass
class ValidationSet:
    """The validation frames as tensors, with what the gate needs per frame (no pixels kept)."""

    tensors: np.ndarray  # (N, C, H, W) float32, through the runtime's preprocessing
    positive: np.ndarray  # bool per frame
    keys: list[str]
    labels: list[str]
    case_ids: list  # str or None per frame (None: the frame is its own case)
    sites: list

    def __len__(self) -> int:
        return len(self.keys)


def load_validation(dataset: Dataset, spec: ModelSpec) -> ValidationSet:
    """Every frame of the validation `dataset` through the runtime's preprocessing for `spec`, with its truth, key,
    label, case and site."""
    from cleftedge.progress import Progress

    pre = Preprocessor(spec.input)
    tensors, positive, keys, labels, cases, sites = [], [], [], [], [], []
    with Progress(len(dataset.records), "validation frames") as bar:
        for s in dataset.samples(dataset.records):
            tensors.append(pre(s.image))
            positive.append(bool(s.positive))
            keys.append(s.key)
            labels.append(s.label)
            cases.append(None if s.case_id in (None, "") else str(s.case_id))
            sites.append(s.site)
            bar.update()
    return ValidationSet(np.stack(tensors), np.array(positive, bool), keys, labels, cases, sites)


def model_scores(model_path: Path, backend: str, tensors: np.ndarray, spec) -> np.ndarray:
    """The model's scores for `tensors` on `backend` (FP32 references run on onnxruntime)."""
    from cleftedge.runtime.backends import open_backend
    from cleftedge.runtime.scoring import scores_from_output

    with open_backend(model_path, backend=backend, spec=spec) as b:
        raw = b.infer(tensors)
    return scores_from_output(spec.output, raw[spec.output.name])


def gate_on_validation(val: ValidationSet, ref: np.ndarray, cand: np.ndarray, threshold: float, policy) -> dict:
    """The QA gate's verdict on the validation set, with the figures a tuning loop prints."""
    from cleftedge.calibration.qa.assemble import judged_figures
    from cleftedge.calibration.qa.compare import ScoredSet

    data = ScoredSet(keys=val.keys, labels=val.labels, positive=val.positive, case_ids=val.case_ids,
                     sites=val.sites, severity=np.full(len(val), np.nan), ref=np.asarray(ref, np.float64),
                     cand=np.asarray(cand, np.float64))
    figures, verdict = judged_figures(data, threshold, threshold, policy)
    bound = {c["name"]: c["bound"] for c in verdict["criteria"]}
    flips = int(np.sum(flagged(data.ref, threshold) != flagged(data.cand, threshold)))
    agreement = (figures.get("agreement") or {}).get("value")
    return {"passed": bool(verdict["passed"]), "agreement": agreement, "agreement_bound": bound.get("agreement"),
            "flips": flips, "frames": len(val), "sensitivity_bound_pp": bound.get("sensitivity"),
            "specificity_bound_pp": bound.get("specificity"), "auc_drop_bound": bound.get("auc"),
            "reasons": list(verdict["reasons"])}


def agreement_fn(spec):
    """NNCF's validation function for accuracy control. Its items are (tensor, FP32 decision) pairs
    (NNCF hands the untransformed items, and may hand a subset): the metric is the share of items on
    which the model's decision at the operating threshold equals the FP32 model's (1.0 for the FP32
    model itself, so NNCF's absolute 'drop' is the share of flipped decisions). The per-item values go
    back too, so that NNCF ranks layers by the decisions they flip."""
    from cleftedge.runtime.scoring import scores_from_output

    def validate(compiled_model, items):
        names = {n for o in compiled_model.outputs for n in o.get_names()}
        out = compiled_model.output(spec.output.name) if spec.output.name in names else compiled_model.output(0)
        same = [float(flagged(scores_from_output(spec.output, compiled_model(x)[out])[0], spec.output.threshold)
                      == bool(flag)) for x, flag in items]
        return (float(np.mean(same)) if same else 0.0), same

    return validate
