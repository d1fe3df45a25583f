"""Stream a data set through the reference and the candidate, batch by batch: each frame is decoded
and preprocessed once (in a background thread, ahead of the models) and scored by both; only
per-frame numbers are kept, plus small thumbnails of the flipped frames with the largest score
change (a bounded heap), so memory does not grow with the set."""

from __future__ import annotations

import heapq
import itertools
import math
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleftedge.calibration.qa.compare import ScoredSet
from cleftedge.errors import CleftEdgeError
from cleftedge.progress import Progress
from cleftedge.runtime.preprocess import Preprocessor

if TYPE_CHECKING:
    from cleftedge.runtime.model import Model
    from cleftedge.spec import InputSpec

BATCH = 32
THUMBS = 48
THUMB_WIDTH = 200


@dataclass
class Collected:
    keys: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    positive: list = field(default_factory=list)
    case_ids: list = field(default_factory=list)
    sites: list = field(default_factory=list)
    severity: list = field(default_factory=list)
    ref: list = field(default_factory=list)
    cand: list = field(default_factory=list)
    hashes: list = field(default_factory=list)  # 64-bit perceptual hash of each frame's input tensor

    def scored_set(self) -> ScoredSet:
        """The collected numbers as arrays, for the figures."""
        return ScoredSet(self.keys, self.labels, np.asarray(self.positive, bool), self.case_ids, self.sites,
                         np.asarray(self.severity, np.float64), np.asarray(self.ref, np.float64),
                         np.asarray(self.cand, np.float64))


def thumbnail(image: np.ndarray) -> bytes:
    """A frame as a small JPEG, THUMB_WIDTH pixels wide (empty when OpenCV cannot encode it)."""
    import cv2

    h, w = image.shape[:2]
    small = cv2.resize(image, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return buf.tobytes() if ok else b""


def _severity(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


class Thumbs:
    """The K flipped frames with the largest score change, as small JPEGs. A scorer that no longer
    holds the decoded frame (tensor cache, Ray workers) offers the frame's record instead: only the
    K kept are decoded again, at the end (`result(decode)`)."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.heap: list[tuple[float, int, str, object]] = []
        self.seq = 0

    def offer(self, change: float, key: str, image: np.ndarray | None = None, record: object = None) -> None:
        """A flipped frame with its score change: kept (as a JPEG, or as its record to decode later when there is
        no image) when it is among the `keep` largest changes so far."""
        self.seq += 1
        if self.keep <= 0:
            return
        if len(self.heap) < self.keep:
            heapq.heappush(self.heap, (change, self.seq, key, thumbnail(image) if image is not None else record))
        elif change > self.heap[0][0]:
            heapq.heapreplace(self.heap, (change, self.seq, key, thumbnail(image) if image is not None else record))

    def result(self, decode: Callable[[list], Iterable] | None = None) -> dict[str, bytes]:
        """key -> JPEG, largest change first; `decode(records)` yields the samples of deferred frames."""
        kept = sorted(self.heap, reverse=True)
        later = [payload for *_, payload in kept if not isinstance(payload, bytes)]
        images = {str(s.key): s.image for s in decode(later)} if later and decode is not None else {}
        out = {}
        for _, _, key, payload in kept:
            jpeg = payload if isinstance(payload, bytes) else (thumbnail(images[key]) if key in images else None)
            if jpeg is not None:
                out[key] = jpeg
        return out


def _check(scores: np.ndarray, n: int, who: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if scores.size != n:
        raise CleftEdgeError(f"the {who} gave {scores.size} scores for {n} frames",
                             "one score per frame", "check the model's output and its spec")
    return scores


class _Batches:
    """A three-stage pipeline over the data set: a background thread reads (decodes) the next
    batches, a second one preprocesses the batch after the current one, and the caller runs the
    models. OpenCV and the inference libraries release the GIL, so both cores keep working. At
    most `depth` decoded batches wait: memory stays bounded."""

    def __init__(self, samples: Iterable, batch: int, preprocessors: list[Preprocessor], depth: int = 2) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._pres = preprocessors
        self._thread = threading.Thread(target=self._read, args=(iter(samples), batch), daemon=True,
                                        name="qa-read")
        self._thread.start()

    def _put(self, item: tuple[list | None, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, it: Iterator, batch: int) -> None:
        try:
            while not self._stop.is_set():
                chunk = list(itertools.islice(it, batch))
                if not chunk:
                    break
                if not self._put((chunk, None)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((None, exc))
            return
        self._put((None, None))

    def _chunks(self) -> Iterator[list]:
        while True:
            chunk, exc = self._q.get()
            if exc is not None:
                raise exc
            if chunk is None:
                return
            yield chunk

    def _prepare(self, chunk: list) -> tuple[list, list, np.ndarray]:
        from cleftedge.calibration.qa.phash import tensor_hashes

        images = [s.image for s in chunk]
        tensors = [p.batch(images) for p in self._pres]
        return chunk, tensors, tensor_hashes(tensors[0])  # hashed here, off the models' thread

    def __iter__(self) -> Iterator[tuple[list, list, np.ndarray]]:
        pool = ThreadPoolExecutor(1, thread_name_prefix="qa-preprocess")
        try:
            ahead = None
            for chunk in self._chunks():
                nxt = pool.submit(self._prepare, chunk)
                if ahead is not None:
                    yield ahead.result()
                ahead = nxt
            if ahead is not None:
                yield ahead.result()
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _opencv_single_threaded() -> Iterator[None]:
    """Frames are already decoded and preprocessed on parallel threads: OpenCV's own worker
    threads inside each small call only contend with them (~3 % slower QA on 2 cores)."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def preprocessors(ref_model: Model | None, cand_model: Model | None) -> tuple[list[Preprocessor], list[int]]:
    """The preprocessors to run, and which of them feeds each model. One is enough when both
    models take the same input (the usual case: the candidate is the reference quantized)."""
    models = [m for m in (ref_model, cand_model) if m is not None]
    if len(models) == 2 and models[0].spec.input == models[1].spec.input:
        return [Preprocessor(models[0].spec.input)], [0, 0]
    return [Preprocessor(m.spec.input) for m in models], list(range(len(models)))


@dataclass(frozen=True)
class ScoreOptions:
    """How one scoring pass runs, and what it keeps besides the per-frame numbers."""

    total: int | None = None  # frames expected, for the progress bar
    label: str = "QA scoring"  # the progress bar's label
    batch: int = BATCH  # frames per batch (`score_stream`; `score_batches` is handed its batches)
    keep_thumbs: int = THUMBS  # thumbnails kept of the flipped frames with the largest score change
    progress: bool | None = None  # None: a bar only where stderr is a terminal
    on_batch: Callable[[list, list, np.ndarray], None] | None = None  # sees every batch (the tensor cache)
    decode: Callable[[list], Iterable] | None = None  # re-reads the kept thumbnails' records (`score_batches`)


def score_stream(samples: Iterable, ref_model: Model | None = None, cand_model: Model | None = None,
                 ref_t: float = 0.5, cand_t: float = 0.5,
                 options: ScoreOptions = ScoreOptions()) -> tuple[Collected, dict[str, bytes]]:
    """Decode, preprocess and score a stream of samples (see `score_batches`)."""
    pres, feeds = preprocessors(ref_model, cand_model)
    with _opencv_single_threaded():
        return score_batches(_Batches(samples, options.batch, pres), ref_model, cand_model, feeds, ref_t, cand_t,
                             options)


def score_batches(batches: Iterable, ref_model: Model | None, cand_model: Model | None, feeds: list[int],
                  ref_t: float, cand_t: float,
                  options: ScoreOptions = ScoreOptions()) -> tuple[Collected, dict[str, bytes]]:
    """Score batches of (frames, tensors per preprocessor, perceptual hashes) with both models; the
    frames are samples (with their image) or records (metadata only: `options.decode` re-reads the few
    kept for thumbnails). `options.on_batch(frames, tensors, hashes)` sees every batch (the tensor cache).
    Returns the per-frame numbers and the thumbnails (key -> JPEG)."""
    out = Collected()
    thumbs = Thumbs(options.keep_thumbs)
    models = [(m, who) for m, who in ((ref_model, "reference"), (cand_model, "candidate")) if m is not None]
    with Progress(options.total, options.label, enabled=options.progress) as bar:
        for chunk, tensors, hashes in batches:
            n = len(chunk)
            if options.on_batch is not None:
                options.on_batch(chunk, tensors, hashes)
            got = {who: _check(m.predict_tensors(tensors[feeds[i]]).scores, n, who)
                   for i, (m, who) in enumerate(models)}
            collect_batch(out, thumbs, chunk, got.get("reference"), got.get("candidate"), hashes, ref_t, cand_t)
            bar.update(n)
    check_unique(out.keys)
    return out, thumbs.result(options.decode)


def collect_batch(out: Collected, thumbs: Thumbs, chunk: list, r: np.ndarray | None, c: np.ndarray | None,
                  hashes: Iterable[int], ref_t: float, cand_t: float) -> None:
    """Keep one batch's per-frame numbers, and offer its flipped frames for thumbnails."""
    n = len(chunk)
    out.hashes.extend(int(h) for h in hashes)
    both = r is not None and c is not None
    r = np.full(n, np.nan) if r is None else np.asarray(r, np.float64)
    c = np.full(n, np.nan) if c is None else np.asarray(c, np.float64)
    _collect(out, chunk, r, c)
    if both:
        for i in np.flatnonzero((r >= ref_t) != (c >= cand_t)):
            frame = chunk[i]
            thumbs.offer(abs(float(c[i] - r[i])), str(frame.key), getattr(frame, "image", None), frame)


def check_unique(keys: list) -> None:
    """Refuse a data set that yields one frame key twice (one line)."""
    if len(set(keys)) != len(keys):
        raise CleftEdgeError("the data set yields the same frame key twice", "unique frame keys",
                             "remove the duplicate entries from the data set")


def _collect(out: Collected, chunk: list, r: np.ndarray, c: np.ndarray) -> None:
    for s, rs, cs in zip(chunk, r, c, strict=True):
        out.keys.append(str(s.key))
        out.labels.append(str(s.label))
        out.positive.append(bool(s.positive))
        out.case_ids.append(None if s.case_id in (None, "") else str(s.case_id))
        out.sites.append(None if s.site in (None, "") else str(s.site))
        out.severity.append(_severity(s.severity))
        out.ref.append(float(rs))
        out.cand.append(float(cs))


def hash_stream(samples: Iterable, input_spec: InputSpec, total: int | None = None, batch: int = BATCH,
                progress: bool | None = None) -> tuple[np.ndarray, list[str]]:
    """The perceptual hash of every frame's input tensor, and the frames' keys (no model runs): for
    near-duplicates between the QA set and another role's set."""
    from cleftedge.calibration.qa.phash import tensor_hashes

    pre = Preprocessor(input_spec)
    hashes: list[np.ndarray] = []
    keys: list[str] = []
    it = iter(samples)
    with Progress(total, "hashing validation frames", enabled=progress) as bar, _opencv_single_threaded():
        while chunk := list(itertools.islice(it, batch)):
            hashes.append(tensor_hashes(pre.batch([s.image for s in chunk])))
            keys.extend(str(s.key) for s in chunk)
            bar.update(len(chunk))
    return (np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)), keys
