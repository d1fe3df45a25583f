"""`cleftedge qa` from end to end: check the inputs, score the QA set with the FP32 reference (or
load its bound scores) and the candidate on its own backend, judge, and write the reports."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from cleftedge import __version__
from cleftedge.atomic import atomic_dir
from cleftedge.calibration.qa import refscores, retune
from cleftedge.calibration.qa.assemble import figures_section, flipped_mask, judged_figures
from cleftedge.calibration.qa.candidate import model_identity, plan_candidate
from cleftedge.calibration.qa.inputs import (
    check_data_hash,
    check_request,
    load_spec_file,
    open_qa_set,
    open_role,
    size,
)
from cleftedge.calibration.qa.policy import Policy, load_policy
from cleftedge.calibration.qa.reading import iter_samples
from cleftedge.calibration.qa.report_html import write_report_html
from cleftedge.calibration.qa.report_json import verdict_line, write_report_json
from cleftedge.calibration.qa.scorer import score_stream
from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file


@dataclass
class QaRequest:
    reference: Path
    data: Path
    candidate: Path | None = None
    report: Path | None = None
    policy: Path | None = None
    save_reference_scores: Path | None = None
    reference_scores: Path | None = None
    expect_data_hash: str | None = None
    sweeps: Path | None = None
    val_data: Path | None = None
    retune_threshold: bool = False
    allow_overlap: bool = False
    backend: str | None = None
    device: str = "CPU"
    spec: Path | None = None
    progress: bool | None = None


@dataclass
class QaOutcome:
    exit_code: int
    line: str
    report: dict | None = None


def _check_leakage(qa_set, val_set, allow_overlap: bool) -> None:
    if allow_overlap:
        return
    from cleftedge.calibration.datasets import check_leakage

    check_leakage({"QA set (--data)": qa_set, "validation set (--val-data)": val_set})


def open_qa_models(reference: Path | None, candidate: Path | None, plan, device: str = "CPU", spec=None):
    """The reference (true FP32 on onnxruntime) and the candidate, opened as QA runs them.
    CPU inference gets `inference_threads()`: the scorer's decoding and preprocessing threads
    need the rest of the machine."""
    from cleftedge.runtime.model import Model

    ref_model = None
    if reference is not None:
        ref_model = Model.open(reference, backend="onnxruntime", device="CPU", threads=inference_threads())
    cand_model = None
    if candidate is not None:
        runs_on = plan.run or plan.intended
        cpu = device.upper() == "CPU" and runs_on in ("onnxruntime", "openvino")
        cand_model = Model.open(candidate, backend=plan.run, device=device, spec=spec, bundle_purpose="qa",
                                **({"threads": inference_threads()} if cpu else {}))
    return ref_model, cand_model


def inference_threads() -> int:
    """One core less than the machine has (at least 1). On 2 cores, QA with one inference thread
    per model runs ~3 % faster than with OpenVINO's default of two (benchmarks/bench_qa.py)."""
    return max(1, (os.cpu_count() or 2) - 1)


def run_qa(req: QaRequest) -> QaOutcome:
    check_request(req)
    policy = load_policy(req.policy)
    qa_set = open_qa_set(req.data)
    data_hash = qa_set.content_hash()
    check_data_hash(req.expect_data_hash, data_hash, req.data)
    val_set = open_role(req.val_data, "validation set (--val-data)") if req.val_data else None
    if val_set is not None:
        _check_leakage(qa_set, val_set, req.allow_overlap)
    ref_sha = sha256_file(req.reference)
    saved = refscores.load_reference_scores(req.reference_scores, ref_sha, data_hash) if req.reference_scores else None
    plan = plan_candidate(req.candidate, req.backend) if req.candidate is not None else None
    ref_model, cand_model = open_qa_models(req.reference if saved is None else None, req.candidate, plan,
                                           req.device, load_spec_file(req.spec))
    ref_t = saved.threshold if saved else ref_model.spec.output.threshold
    cand_t = cand_model.spec.output.threshold if cand_model else ref_t

    start = time.monotonic()
    collected, thumbs = score_stream(iter_samples(qa_set), ref_model, cand_model, ref_t, cand_t, total=size(qa_set),
                                     progress=req.progress)
    seconds = time.monotonic() - start
    data = collected.scored_set()
    if not data.keys:
        raise CleftEdgeError(f"the QA set {req.data} has no frames", "labelled frames", "check --data")
    if saved is not None:
        data.ref = saved.lookup(data.keys, str(req.reference_scores))
    ref_backend = saved.backend if saved else ref_model.describe()
    if req.save_reference_scores:
        refscores.save_reference_scores(req.save_reference_scores, ref_sha, data_hash, data.keys, data.ref,
                                        ref_t, ref_backend)
        if cand_model is None:
            return QaOutcome(0, f"saved {len(data.keys)} reference scores to {req.save_reference_scores} "
                                f"(reference {ref_sha[:12]}, data set {data_hash[:12]})")

    report = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cleftedge_version": __version__,
        "policy": policy.to_dict(),
        "policy_sha256": policy.sha256(),
        "reference": {"path": str(req.reference), "sha256": ref_sha, "threshold": ref_t, "backend": ref_backend,
                      "scores_from": str(req.reference_scores) if saved else "the reference model, run here"},
        "candidate": _candidate_info(req, plan, cand_model, cand_t),
        "data": {"path": str(req.data), "content_hash": data_hash, "frames": len(data.keys),
                 "positives": int(data.positive.sum()), "cases": len({c for c in data.case_ids if c}),
                 "sites": sorted({s for s in data.sites if s})},
        **figures_section(data, ref_t, cand_t, policy),
        "timing": {"seconds": round(seconds, 3), "frames_per_second": round(len(data.keys) / max(seconds, 1e-9), 1)},
        "alerts": _alerts(req, ref_model, cand_model, ref_t, cand_t) if req.sweeps else None,
        "retuned_threshold": None,
    }
    patch = None
    if req.retune_threshold:
        report["retuned_threshold"], patch = _retune(req, val_set, ref_model, cand_model, data, ref_t, policy)
    with atomic_dir(req.report, replace=True) as out:
        write_report_json(out / "report.json", report)
        write_report_html(out / "report.html", report, data.ref, data.cand, flipped_mask(data, ref_t, cand_t),
                          thumbs)
        if patch is not None:
            retune.write_spec_patch(out / retune.PATCH_NAME, patch, f"candidate {req.candidate}; "
                                    f"validation set {req.val_data}")
    return QaOutcome(0 if report["verdict"]["passed"] else 1, verdict_line(report), report)


def _candidate_info(req: QaRequest, plan, model, threshold: float) -> dict:
    """What was judged. For a bundle: its engine's SHA-256 (what `bundle attach-qa` checks) and the
    backend its manifest names."""
    info = {"path": str(req.candidate), "sha256": model_identity(req.candidate), "threshold": threshold,
            "backend": model.describe(), "intended_backend": plan.intended, "proxy": plan.proxy,
            "plan": plan.why, "device": req.device}
    manifest = model.manifest
    if isinstance(manifest, dict):
        info["bundle_manifest_sha256"] = info["sha256"]
        info["sha256"] = manifest.get("engine", {}).get("sha256", info["sha256"])
        info["intended_backend"] = manifest.get("backend", plan.intended)
        info["bundle"] = {k: manifest.get(k) for k in ("model", "profile", "backend", "device", "precision")}
    return info


def _alerts(req: QaRequest, ref_model, cand_model, ref_t: float, cand_t: float) -> dict:
    from cleftedge.calibration.qa.alert_parity import alert_parity

    if ref_model is None:
        raise CleftEdgeError("--sweeps needs the reference model to run", "no --reference-scores with --sweeps",
                             "run alert parity on the build host")
    return alert_parity(req.sweeps, ref_model, cand_model, ref_t, cand_t, progress=req.progress)


def _retune(req: QaRequest, val_set, ref_model, cand_model, qa_data, ref_t: float,
            policy: Policy) -> tuple[dict, float]:
    val, _ = score_stream(iter_samples(val_set), ref_model, cand_model, ref_t, ref_t, total=size(val_set),
                          label="validation scoring", keep_thumbs=0, progress=req.progress)
    v = val.scored_set()
    found = retune.retune_threshold(v.positive, v.ref, v.cand, ref_t)
    figures, verdict = judged_figures(qa_data, ref_t, found["threshold"], policy)
    found.update(qa_figures=figures, verdict=verdict, spec_patch=retune.PATCH_NAME,
                 validation_hash=val_set.content_hash())
    return found, found["threshold"]
