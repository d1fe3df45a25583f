"""`cleftedge qa --ray [ADDRESS]`: the QA set scored as a Ray Data pipeline.

The driver (this process) opens and checks the locked set, the models and the signed scores as the
local `qa` does, then hands Ray only what the workers need to find the frames:
1. the set's frames in groups of `scorer.BATCH`, composed by frame index (within a site with
   --by-site), as a Ray dataset of rows (file paths, frame numbers, keys);
2. decode + preprocess in Ray tasks, with the runtime's own reader and Preprocessor (and the
   perceptual hash of each tensor), retried once by Ray when a task fails;
3. scoring in a pool of actors (`map_batches` with a callable class): each actor opens the FP32
   reference on onnxruntime and the candidate on its own backend once, with fractional CPUs so that
   the read tasks are not starved on a small cluster (`num_gpus` for a GPU candidate);
4. only per-frame numbers come back (index, both scores, the hash); the driver re-reads the few
   flipped frames it keeps as thumbnails. Statistics, intervals and reports are the local `qa`'s
   (`run.judge_scores`).

Batches are the local run's (same frames, same order within a batch), so the scores, and so the
report's figures and verdict, do not depend on the number of workers. With --by-site, each site's
frames are blocks of their own: a task that fails twice loses only frames of its site, the run goes
on, and the verdict is INCONCLUSIVE naming the frames that are missing (never a pass on the rest).
Without --by-site, a frame that cannot be read fails the run with one line, as the local `qa` does.

Every worker must see the data set where the driver opened it: at the same path (the same NFS
mount), or at the same URI (s3://..., read by each worker through pyarrow with its own credentials,
each file's bytes checked against the SHA-256 the driver hashed), and have cleftedge with the
candidate's backend installed (docs/qa.md)."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from cleftedge.errors import CleftEdgeError

if TYPE_CHECKING:
    from cleftedge.calibration.data_store import Store
    from cleftedge.calibration.dataset_records import Dataset
    from cleftedge.calibration.qa.request import QaContext, QaRequest
    from cleftedge.calibration.qa.scores import Scores
    from cleftedge.progress import Progress
    from cleftedge.spec import InputSpec

USER_ERROR = re.compile(r"cleftedge\.errors\.CleftEdgeError: ([^\n]+)")
ATTEMPTS = re.compile(r"after (\d+)/\d+ attempts")
ACTOR_CPUS = 0.5  # per scoring actor: leaves CPUs to the decode tasks on a 2-CPU node


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise CleftEdgeError("--ray needs Ray, which is not installed", "pip install 'cleftedge[ray]'",
                             "install the ray extra on this machine and on every worker") from None
    return ray


def connect(address: str) -> Any:
    """Join the cluster at `address` ("auto", "ray://host:10001", "host:6379"), or start a local one
    ("local"); an already initialised Ray (a test's `ray.init(num_cpus=2)`) is used as it is."""
    ray = _ray()
    if not ray.is_initialized():
        try:
            ray.init(address=None if address == "local" else address, log_to_driver=False,
                     include_dashboard=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise CleftEdgeError(f"cannot connect to the Ray cluster at {address!r} ({str(exc).splitlines()[0]})",
                                 "a running cluster ('ray start --head' on its head node)",
                                 "check --ray ADDRESS, or give --ray with no address for a local cluster") from None
    return ray


def groups(records: list, batch: int, by_site: bool) -> list[list[int]]:
    """Frame indices in batches: consecutive indices (per site with by_site, in the set's order)."""
    if not by_site:
        return [list(range(i, min(i + batch, len(records)))) for i in range(0, len(records), batch)]
    sites: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        sites.setdefault(r.site or "", []).append(i)
    return [idx[i:i + batch] for idx in sites.values() for i in range(0, len(idx), batch)]


def _rows(records: list, indices: list[int], store: Store) -> dict:
    """One group's row: where its frames lie, and for a set at a URI the store's URI and the SHA-256
    each file was hashed with (the worker refuses other bytes)."""
    rs = [records[i] for i in indices]
    return {"indices": list(indices), "files": [str(r.file) for r in rs], "keys": [r.key for r in rs],
            "frames": [-1 if r.frame is None else int(r.frame) for r in rs], "site": rs[0].site or "",
            "store": store.uri or "", "sha256": store.hashes([r.file for r in rs])}


def prepare_group(row: dict, input_specs: list[InputSpec]) -> dict:
    """Ray task body: decode a group's frames with the runtime's reader (`Dataset.samples`: stills,
    video and cine frames alike) and preprocess them with the runtime's Preprocessor."""
    from pathlib import Path

    from cleftedge.calibration.data_store import worker_store
    from cleftedge.calibration.dataset_records import Dataset, Record
    from cleftedge.calibration.qa.phash import tensor_hashes
    from cleftedge.runtime.preprocess import Preprocessor

    recs = [Record(str(k), Path(f), None if int(fr) < 0 else int(fr), "", False, None, None, None)
            for k, f, fr in zip(row["keys"], row["files"], row["frames"], strict=True)]
    store = worker_store(row["store"], list(row["files"]), list(row["sha256"]))
    by_key = {s.key: s.image for s in Dataset(Path("."), recs, "ray", store).samples(recs)}
    images = [by_key[r.key] for r in recs]
    tensors = [Preprocessor(spec).batch(images) for spec in input_specs]
    out = {"indices": np.asarray(row["indices"], np.int64), "hashes": tensor_hashes(tensors[0])}
    for i, t in enumerate(tensors):
        out[f"tensor{i}"] = t
    return out


class Score:
    """Ray actor: both models opened once (in this actor's process), then one group per call."""

    def __init__(self, model_args: dict, feeds: list[int], threads: int) -> None:
        from cleftedge.calibration.qa.models import open_qa_models

        self.ref, self.cand, _ = open_qa_models(**model_args, threads=threads)
        self.feeds = feeds

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list[np.ndarray]] = {"index": [], "ref": [], "cand": [], "hash": []}
        for j in range(len(batch["indices"])):
            idx = np.asarray(batch["indices"][j], np.int64)
            models = [m for m in (self.ref, self.cand) if m is not None]
            scores = [np.asarray(m.predict_tensors(np.asarray(batch[f"tensor{self.feeds[k]}"][j], np.float32))
                                 .scores, np.float64).reshape(-1) for k, m in enumerate(models)]
            if any(s.size != idx.size for s in scores):
                raise CleftEdgeError(f"a model gave {[s.size for s in scores]} scores for {idx.size} frames",
                                     "one score per frame", "check the model's output and its spec")
            nan = np.full(idx.size, np.nan)
            out["index"].append(idx)
            out["ref"].append(scores[0] if self.ref is not None else nan)
            out["cand"].append(scores[-1] if self.cand is not None else nan)
            out["hash"].append(np.asarray(batch["hashes"][j], np.uint64))
        return {k: np.concatenate(v) for k, v in out.items()}


def _cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _user_error(exc: BaseException) -> CleftEdgeError | None:
    """The CleftEdgeError a worker raised, as one plain line: Ray Data hands back its own wrapper
    types, with the worker's traceback (ending in that error's line) as their text."""
    seen = set()
    at: BaseException | None = exc
    while at is not None and id(at) not in seen:
        seen.add(id(at))
        if isinstance(at, CleftEdgeError) and isinstance(getattr(at, "what", None), str):
            return CleftEdgeError(at.what, at.expected, at.fix)
        text = str(at)
        found = USER_ERROR.findall(text)
        if found:
            tries = ATTEMPTS.findall(text)
            line = found[-1].strip()
            return CleftEdgeError(f"{line} (on Ray, after {tries[-1]} attempts)" if tries else line)
        cause = getattr(at, "cause", None)
        at = cause if isinstance(cause, BaseException) else (at.__cause__ or at.__context__)
    return None


@contextmanager
def _quiet_ray() -> Iterator[None]:
    """Ray Data logs its plan, its progress and a worker's traceback on stderr: the CLI's contract is
    one bar and, on an error, one line (Ray's own log files keep everything)."""
    loggers = [logging.getLogger(name) for name in ("ray", "ray.data", "ray.data._internal")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def pipeline(ray: Any, qa_set: Dataset, input_specs: list[InputSpec], model_args: dict, feeds: list[int],
             by_site: bool, gpu: bool, batch: int) -> Any:
    """The Ray dataset of per-frame results (index, ref, cand, hash), not yet executed; the workers
    read the frames where the set lies (the local disk or its URI: qa_set.store)."""
    records, store = list(qa_set.records), qa_set.store
    parts = groups(records, batch, by_site)
    cpus = _cluster_cpus(ray)
    if by_site:  # each site's groups in blocks of their own: a failure stays within its site
        sites: dict[str, list[dict]] = {}
        for g in parts:
            row = _rows(records, g, store)
            sites.setdefault(row["site"], []).append(row)
        sets = [ray.data.from_items(rows, override_num_blocks=min(len(rows), max(1, 2 * cpus)))
                for rows in sites.values()]
        ds = sets[0].union(*sets[1:]) if len(sets) > 1 else sets[0]
    else:
        rows = [_rows(records, g, store) for g in parts]
        ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), max(1, 4 * cpus)))
    # decode + preprocess: plain tasks (retried once by Ray: DataContext.max_map_retries, set by the caller)
    ds = ds.map(prepare_group, fn_kwargs={"input_specs": input_specs}, num_cpus=ACTOR_CPUS)
    actors = max(1, math.floor(cpus / 2)) if not gpu else max(1, int(ray.cluster_resources().get("GPU", 1)))
    remote = {"num_gpus": 1} if gpu else {}
    # one inference thread an actor: its share of the CPUs (the reference's, beside a GPU candidate)
    return ds.map_batches(Score, fn_constructor_kwargs={"model_args": model_args, "feeds": feeds, "threads": 1},
                          batch_size=1, batch_format="numpy", num_cpus=ACTOR_CPUS,
                          compute=ray.data.ActorPoolStrategy(size=actors), max_restarts=1, max_task_retries=1,
                          **remote)


def _results(ds: Any, bar: Progress) -> Iterator[dict]:
    for b in ds.iter_batches(batch_size=None, batch_format="numpy"):
        bar.update(len(b["index"]))
        yield b


def score_on_ray(req: QaRequest, ctx: QaContext) -> Scores:
    """Score the QA set on the cluster at req.ray; hand back the same Scores the local scorer does."""
    with _quiet_ray():
        return _score_on_ray(req, ctx)


def _score_on_ray(req: QaRequest, ctx: QaContext) -> Scores:
    from cleftedge.calibration.qa.scorer import (
        BATCH,
        THUMBS,
        Collected,
        Thumbs,
        check_unique,
        collect_batch,
        preprocessors,
    )
    from cleftedge.calibration.qa.scores import Scores
    from cleftedge.progress import Progress

    assert req.ray is not None  # run_qa comes here only with --ray
    ray = connect(req.ray)
    data_context = ray.data.DataContext.get_current()
    data_context.enable_progress_bars = False  # one bar, ours, for the whole job
    data_context.max_errored_blocks = -1 if req.by_site else 0  # by site: a failed shard's frames go missing
    data_context.retried_map_errors = True  # a task that fails is retried once by Ray ...
    data_context.max_map_retries = 1  # ... then its block counts as failed
    qa_set: Any = ctx.qa_set  # QaContext holds its opened objects untyped
    ref_model: Any = ctx.ref_model
    cand_model: Any = ctx.cand_model
    records = list(qa_set.records)
    pres, feeds = preprocessors(ref_model, cand_model)
    gpu = _gpu_candidate(ctx, req.device)
    ds = pipeline(ray, qa_set, [p.spec for p in pres], ctx.model_args(req), feeds, req.by_site, gpu, BATCH)
    got: dict[str, list[np.ndarray]] = {"index": [], "ref": [], "cand": [], "hash": []}
    try:
        with Progress(len(records), "QA scoring on Ray", enabled=req.progress) as bar:
            for b in _results(ds, bar):
                for k in got:
                    got[k].append(np.asarray(b[k]))
    except Exception as exc:  # noqa: BLE001 - Ray wraps a worker's error in its own types
        user = _user_error(exc)
        if user is not None:
            raise user from None
        raise CleftEdgeError(f"the Ray job failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})",
                             "workers with cleftedge and the candidate's backend installed",
                             "see docs/qa.md (running the gate on Ray)") from None
    index = np.concatenate(got["index"]) if got["index"] else np.zeros(0, np.int64)
    order = np.argsort(index, kind="stable")
    index = index[order]
    ref, cand, hashes = (np.concatenate(got[k])[order] if got[k] else np.zeros(0) for k in ("ref", "cand", "hash"))
    if len(np.unique(index)) != len(index):
        raise CleftEdgeError("the Ray job returned a frame twice", "each frame scored once", "rerun the job")
    out, thumbs = Collected(), Thumbs(THUMBS)
    collect_batch(out, thumbs, [records[i] for i in index], ref if ctx.ref_model is not None else None,
                  cand if ctx.cand_model is not None else None, hashes.astype(np.uint64), ctx.ref_t, ctx.cand_t)
    check_unique(out.keys)
    missing = [records[i].key for i in sorted(set(range(len(records))) - set(index.tolist()))]
    scorer = {"scorer": "ray", "by_site": bool(req.by_site), "cluster_cpus": _cluster_cpus(ray)}
    return Scores(out, thumbs.result(qa_set.samples), missing, scorer)


def _gpu_candidate(ctx: QaContext, device: str) -> bool:
    """A TensorRT candidate, or one asked to run on a GPU: its actors need a GPU each (num_gpus)."""
    runs_on = getattr(ctx.plan, "run", None) or getattr(ctx.plan, "intended", None)
    return runs_on == "tensorrt" or device.strip().upper().startswith(("GPU", "CUDA"))
