"""`cleftedge qa` from end to end: check the inputs (data-set roles, lineage, signed reference
scores), score the QA set with the FP32 reference (or load its signed scores) and the candidate on
its own backend, merge near-duplicate frames into clusters, judge, count the run in the ledger, and
write the reports."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleftedge import __version__
from cleftedge.atomic import atomic_dir
from cleftedge.calibration.data_store import shown
from cleftedge.calibration.qa import ledger, near_duplicates, refscores, retune
from cleftedge.calibration.qa.assemble import figures_section, flipped_mask, judged_figures
from cleftedge.calibration.qa.candidate import candidate_info, candidate_record, plan_candidate
from cleftedge.calibration.qa.inputs import (
    check_data_hash,
    check_request,
    load_spec_file,
    open_qa_set,
    open_role,
    size,
)
from cleftedge.calibration.qa.lineage import check_lineage
from cleftedge.calibration.qa.models import close_models, open_qa_models
from cleftedge.calibration.qa.next_steps import next_steps
from cleftedge.calibration.qa.policy import Policy, load_policy
from cleftedge.calibration.qa.reading import iter_samples
from cleftedge.calibration.qa.report_html import write_report_html
from cleftedge.calibration.qa.report_json import verdict_line, write_report_json
from cleftedge.calibration.qa.request import QaContext, QaOutcome, QaRequest
from cleftedge.calibration.qa.roles import check_roles, near_duplicates_across
from cleftedge.calibration.qa.scorer import BATCH, ScoreOptions, hash_stream, score_stream
from cleftedge.calibration.qa.scores import Scores
from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file

if TYPE_CHECKING:
    from cleftedge.calibration.dataset_records import Dataset
    from cleftedge.calibration.qa.candidate import CandidatePlan
    from cleftedge.calibration.qa.compare import ScoredSet
    from cleftedge.runtime.alerts import AlertConfig
    from cleftedge.runtime.model import Model

def _cached_run_threads(req: QaRequest) -> int | None:
    """Every core for inference when the tensor cache is read: nothing is decoded or preprocessed."""
    from cleftedge.calibration.qa.tensor_cache import INDEX

    if req.cache is not None and req.ray is None and (Path(req.cache) / INDEX).is_file():
        return os.cpu_count() or 1
    return None


def run_qa(req: QaRequest) -> QaOutcome:
    """Check, score and judge: the whole QA run of `req`. Both models are closed at the end, whatever
    the outcome (a TensorRT or OpenVINO engine holds device memory and threads until closed)."""
    ctx = prepare_qa(req)
    try:
        start = time.monotonic()
        scores = score_qa_set(req, ctx)
        return judge_scores(req, ctx, scores, time.monotonic() - start)
    finally:
        close_models(ctx.ref_model, ctx.cand_model)


def prepare_qa(req: QaRequest) -> QaContext:
    """Check the request and its inputs (roles, lineage, signed scores) and open the models."""
    check_request(req)
    alert_policy = None
    if req.sweeps:  # before any scoring: never judge a policy on the sweeps it was tuned on
        from cleftedge.alert_tuning.judged import policy_to_judge

        alert_policy = policy_to_judge(req.alerts, req.sweeps, req.reference)
    policy = load_policy(req.policy)
    qa_set = open_qa_set(req.data)
    data_hash = qa_set.content_hash()
    check_data_hash(req.expect_data_hash, data_hash, req.data)
    val_set = open_role(req.val_data, "validation set (--val-data)") if req.val_data else None
    ref_sha = sha256_file(req.reference)
    saved = refscores.load_reference_scores(req.reference_scores, ref_sha, data_hash, req.trust_store,
                                            req.allow_unsigned_scores) if req.reference_scores else None
    plan = plan_candidate(req.candidate, req.backend) if req.candidate is not None else None
    if plan is None and val_set is not None:
        check_roles(qa_set, None, val_set, req.allow_overlap)  # saving scores: still never on a tuning set
    spec = load_spec_file(req.spec)
    ref_model, cand_model, proxy = open_qa_models(req.reference if saved is None else None, req.candidate, plan,
                                                  req.device, spec, req.inference_precision,
                                                  threads=_cached_run_threads(req))
    if saved is not None:
        ref_t = saved.threshold
    else:
        assert ref_model is not None  # open_qa_models opens the reference whenever no saved scores stand in
        ref_t = ref_model.spec.output.threshold
    cand_t = cand_model.spec.output.threshold if cand_model else ref_t
    checks = _judged_inputs(req, qa_set, val_set, ref_sha, ref_model, cand_model, proxy) if cand_model else None
    return QaContext(policy, qa_set, data_hash, val_set, ref_sha, saved, plan, ref_model, cand_model, ref_t, cand_t,
                     checks, spec, alert_policy)


def score_qa_set(req: QaRequest, ctx: QaContext) -> Scores:
    """Score the QA set here, from the tensor cache (--cache), or on a Ray cluster (--ray)."""
    qa_set = ctx.qa_set
    if req.ray is not None:
        from cleftedge.calibration.qa.ray_scoring import score_on_ray

        return score_on_ray(req, ctx)
    if req.cache is not None:
        return _score_cached(req, ctx, req.cache)
    collected, thumbs = score_stream(iter_samples(qa_set), ctx.ref_model, ctx.cand_model, ctx.ref_t, ctx.cand_t,
                                     ScoreOptions(total=size(qa_set), progress=req.progress))
    return Scores(collected, thumbs, [], {"scorer": "local"})


def _score_cached(req: QaRequest, ctx: QaContext, cache_dir: Path) -> Scores:
    """Score from the verified tensor cache, or write it while scoring the frames as usual."""
    from cleftedge.calibration.qa import tensor_cache
    from cleftedge.calibration.qa.scorer import preprocessors, score_batches

    qa_set = ctx.qa_set
    pres, feeds = preprocessors(ctx.ref_model, ctx.cand_model)
    if len(pres) != 1:
        raise CleftEdgeError("--cache with a reference and a candidate that take different inputs",
                             "two models with the same spec input section (one tensor per frame)",
                             "run without --cache")
    records = list(qa_set.records)
    cache = tensor_cache.open_cache(cache_dir, ctx.data_hash, [r.key for r in records], pres[0].spec)
    if isinstance(cache, tensor_cache.CacheReader):
        collected, thumbs = score_batches(cache.batches(records, BATCH), ctx.ref_model, ctx.cand_model, feeds,
                                          ctx.ref_t, ctx.cand_t, ScoreOptions(total=len(records), progress=req.progress,
                                                                              decode=qa_set.samples))
        return Scores(collected, thumbs, [], {"scorer": "local", "tensor_cache": "read"})
    try:
        collected, thumbs = score_stream(iter_samples(qa_set), ctx.ref_model, ctx.cand_model, ctx.ref_t, ctx.cand_t,
                                         ScoreOptions(total=len(records), progress=req.progress,
                                                      on_batch=cache.on_batch))
        cache.commit()
    finally:
        cache.discard()
    return Scores(collected, thumbs, [], {"scorer": "local", "tensor_cache": "written"})


def judge_scores(req: QaRequest, ctx: QaContext, scores: Scores, seconds: float) -> QaOutcome:
    """From per-frame scores (whichever scorer made them) to the verdict, the ledger and the reports:
    the one path every scorer's numbers take."""
    collected, thumbs = scores.collected, scores.thumbs
    qa_set, val_set, saved, ref_model, cand_model = ctx.qa_set, ctx.val_set, ctx.saved, ctx.ref_model, ctx.cand_model
    ref_t, cand_t, policy, checks, plan = ctx.ref_t, ctx.cand_t, ctx.policy, ctx.checks, ctx.plan
    ref_sha, data_hash = ctx.ref_sha, ctx.data_hash
    data = collected.scored_set()
    if not data.keys and scores.missing:
        raise CleftEdgeError(f"no frame of the QA set {shown(req.data)} could be scored ({len(scores.missing)} failed, "
                             f"first: {scores.missing[0]})", "frames the runtime's reader can decode",
                             "fix or restore the files, then run QA again")
    if not data.keys:
        raise CleftEdgeError(f"the QA set {shown(req.data)} has no frames", "labelled frames", "check --data")
    if saved is not None:
        data.ref = saved.lookup(data.keys, str(req.reference_scores))
    if saved is not None:
        ref_backend = saved.backend
    else:
        assert ref_model is not None  # prepare_qa: no saved scores, so the reference model ran
        ref_backend = ref_model.describe()
    if req.save_reference_scores:
        if scores.missing:
            raise CleftEdgeError(f"{len(scores.missing)} frames could not be scored (first: {scores.missing[0]})",
                                 "a score for every frame before any are saved", "fix or restore those files")
        refscores.save_reference_scores(req.save_reference_scores, ref_sha, data_hash, data.keys, data.ref,
                                        ref_t, ref_backend)
        if cand_model is None:
            return QaOutcome(0, f"saved {len(data.keys)} reference scores to {req.save_reference_scores} "
                                f"(reference {ref_sha[:12]}, data set {data_hash[:12]}); sign them on the signing "
                                "host: cleftedge scores sign FILE --key KEY")
    # check_request: without --candidate only --save-reference-scores is allowed (returned above), and a
    # candidate comes with --report; prepare_qa then planned it and checked its inputs
    assert cand_model is not None and plan is not None and checks is not None
    assert req.candidate is not None and req.report is not None
    hashes = np.asarray(collected.hashes, dtype=np.uint64)
    data.clusters, near = near_duplicates.merge(data.keys, data.case_ids, hashes)
    if val_set is not None:
        val_hashes, val_keys = hash_stream(iter_samples(val_set), cand_model.spec.input, total=size(val_set),
                                           progress=req.progress)
        near_duplicates_across(checks["data_roles"], data.keys, hashes, val_hashes, val_keys)
    else:
        near_duplicates_across(checks["data_roles"], data.keys, hashes, None, None)
    report = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cleftedge_version": __version__,
        "policy": policy.to_dict(),
        "policy_sha256": policy.sha256(),
        "allowances": req.allowances(),
        "reference": {"path": str(req.reference), "sha256": ref_sha, "threshold": ref_t, "backend": ref_backend,
                      "scores_from": str(req.reference_scores) if saved else "the reference model, run here",
                      "scores_signature": saved.signature if saved else None},
        "candidate": candidate_info(req.candidate, plan, cand_model, cand_t, req.device,
                                    _proxy_reasons(plan, cand_model, checks["proxy"])),
        "calibration_record": _record_summary(checks["record"]),
        "lineage": checks["lineage"],
        "data_roles": checks["data_roles"],
        "data": {"path": shown(req.data), "content_hash": data_hash, "frames": len(data.keys),
                 "positives": int(data.positive.sum()), "cases": len({c for c in data.case_ids if c}),
                 "sites": sorted({s for s in data.sites if s})},
        "near_duplicates": near,
        **figures_section(data, ref_t, cand_t, policy),
        "missing_frames": missing_frames(qa_set, scores.missing),
        "timing": {"seconds": round(seconds, 3), "frames_per_second": round(len(data.keys) / max(seconds, 1e-9), 1),
                   **scores.scorer},
        "alerts": _alerts(req, ref_model, cand_model, ref_t, cand_t, ctx.alert_policy) if req.sweeps else None,
        "retuned_threshold": None,
    }
    if scores.missing:
        report["verdict"] = inconclusive_for_missing(report["verdict"], report["missing_frames"])
    report["warnings"] = _warnings(report)
    report["next_steps"] = next_steps(report)
    patch = None
    if req.retune_threshold:
        assert val_set is not None  # check_request: --retune-threshold needs --val-data
        report["retuned_threshold"], patch = _retune(req, val_set, ref_model, cand_model, data, ref_t, policy)
    report["ledger"] = ledger.record_run(data_hash, ref_sha, report["candidate"]["sha256"],
                                         report["verdict"]["result"], report["policy_sha256"], req.ledger)
    with atomic_dir(req.report, replace=True) as out:
        write_report_json(out / "report.json", report)
        write_report_html(out / "report.html", report, data.ref, data.cand, flipped_mask(data, ref_t, cand_t),
                          thumbs)
        if patch is not None:
            retune.write_spec_patch(out / retune.PATCH_NAME, patch, f"candidate {req.candidate}; "
                                    f"validation set {req.val_data}")
    return QaOutcome(0 if report["verdict"]["passed"] else 1, verdict_line(report), report)


def missing_frames(qa_set: Dataset, missing: list[str]) -> dict[str, Any] | None:
    """The frames no scorer could score: how many, which, and how many of each site."""
    if not missing:
        return None
    gone = set(missing)
    by_site: dict[str, int] = {}
    for r in qa_set.records:
        if r.key in gone:
            by_site[r.site or ""] = by_site.get(r.site or "", 0) + 1
    return {"frames": len(gone), "sites": dict(sorted(by_site.items())), "keys": sorted(gone)}


def inconclusive_for_missing(verdict: dict[str, Any], missing: dict[str, Any]) -> dict[str, Any]:
    """Never a pass (nor a verdict at all) on part of the locked set: the frames that could not be
    scored make the run INCONCLUSIVE, and the reason names them."""
    keys = missing["keys"]
    sites = ", ".join(f"{s or '(no site)'}: {n}" for s, n in missing["sites"].items())
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    reason = (f"{missing['frames']} frames of the locked set could not be scored ({sites}): {shown}; the verdict "
              "needs every frame")
    return {**verdict, "passed": False, "result": "inconclusive", "reasons": [reason, *verdict["reasons"]],
            "inconclusive": [reason, *verdict["inconclusive"]]}


def _judged_inputs(req: QaRequest, qa_set: Dataset, val_set: Dataset | None, ref_sha: str, ref_model: Model | None,
                   cand_model: Model, proxy: list[str]) -> dict:
    """Lineage and data-set roles, checked before a single frame is scored."""
    from cleftedge.runtime.model_spec import resolve_spec

    assert req.candidate is not None  # a candidate model is opened only from --candidate
    record = candidate_record(req.candidate, cand_model)
    ref_spec = ref_model.spec if ref_model is not None else resolve_spec(req.reference)
    lineage = check_lineage(ref_sha, ref_spec, cand_model.spec, record, req.allow_different_source)
    roles = check_roles(qa_set, record, val_set, req.allow_overlap)
    return {"record": record, "lineage": lineage, "data_roles": roles, "proxy": proxy}


def _proxy_reasons(plan: CandidatePlan, cand_model: Model, more: list[str]) -> list[str]:
    """Why the candidate's run is a PROXY: `more` and the plan's reasons."""
    reasons = list(more)
    if plan.proxy:
        ran = cand_model.describe().get("backend")
        reasons.insert(0, f"{plan.intended} could not run here; the candidate ran on {ran} instead, not the "
                          f"{plan.intended} engine")
    return reasons


def _record_summary(record: dict) -> dict | None:
    """What the report shows of the candidate's calibration record (not its lists of hashes)."""
    if not record:
        return None
    keep = ("recipe", "target", "method", "source_model", "source_sha256", "data_hash", "data_path", "data_frames",
            "subset_size", "keep_float", "validation_hash", "created", "versions", "accuracy_control")
    return {k: record.get(k) for k in keep if k in record}


def _warnings(report: dict) -> list[str]:
    out = list(report["lineage"].get("warnings", [])) + list(report["data_roles"].get("warnings", []))
    near = report["near_duplicates"]
    if near["chains"]:
        out.append(f"{near['clusters_merged']} cases (or case-less frames) hold near-duplicate frames of each other "
                   f"and count as {near['chains']} clusters in the intervals")
    sig = report["reference"].get("scores_signature") or {}
    if sig.get("status") == "unsigned_allowed":
        out.append("the reference scores are unsigned (allowed by --allow-unsigned-scores)")
    return out


def _alerts(req: QaRequest, ref_model: Model | None, cand_model: Model, ref_t: float, cand_t: float,
            config: AlertConfig | None) -> dict:
    """Alert parity of the two models on the --sweeps (the reference must run: no saved scores)."""
    from cleftedge.calibration.qa.alert_parity import alert_parity

    assert req.sweeps is not None  # judge_scores calls this only with --sweeps
    if ref_model is None:
        raise CleftEdgeError("--sweeps needs the reference model to run", "no --reference-scores with --sweeps",
                             "run alert parity on the build host")
    return alert_parity(req.sweeps, ref_model, cand_model, ref_t, cand_t, progress=req.progress, config=config)


def _retune(req: QaRequest, val_set: Dataset, ref_model: Model | None, cand_model: Model, qa_data: ScoredSet,
            ref_t: float, policy: Policy) -> tuple[dict, float | None]:
    """The retuned threshold and its QA verdict; the spec patch (its threshold) only when that passes."""
    val, _ = score_stream(iter_samples(val_set), ref_model, cand_model, ref_t, ref_t,
                          ScoreOptions(total=size(val_set), label="validation scoring", keep_thumbs=0,
                                       progress=req.progress))
    v = val.scored_set()
    found = retune.retune_threshold(v.positive, v.ref, v.cand, ref_t)
    figures, verdict = judged_figures(qa_data, ref_t, found["threshold"], policy)
    passed = bool(verdict.get("passed"))
    found.update(qa_figures=figures, verdict=verdict, validation_hash=val_set.content_hash(),
                 spec_patch=retune.PATCH_NAME if passed else None,
                 action=(f"wrote {retune.PATCH_NAME}: threshold {found['threshold']:.6g} passes the QA set" if passed
                         else f"no {retune.PATCH_NAME} written: at threshold {found['threshold']:.6g} the QA set "
                              f"verdict is {verdict.get('result', 'fail').upper()}"))
    return found, (found["threshold"] if passed else None)
