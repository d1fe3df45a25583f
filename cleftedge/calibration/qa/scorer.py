"""Stream a data set through the reference and the candidate, batch by batch: each frame is decoded
once and scored by both; only per-frame numbers are kept, plus small thumbnails of the flipped
frames with the largest score change (a bounded heap), so memory does not grow with the set."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from cleftedge.calibration.qa.compare import ScoredSet
from cleftedge.errors import CleftEdgeError
from cleftedge.progress import Progress

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

    def scored_set(self) -> ScoredSet:
        return ScoredSet(self.keys, self.labels, np.asarray(self.positive, bool), self.case_ids, self.sites,
                         np.asarray(self.severity, np.float64), np.asarray(self.ref, np.float64),
                         np.asarray(self.cand, np.float64))


def thumbnail(image: np.ndarray) -> bytes:
    import cv2

    h, w = image.shape[:2]
    small = cv2.resize(image, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return buf.tobytes() if ok else b""


def _severity(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


class _Thumbs:
    """The K flipped frames with the largest score change, as small JPEGs."""

    def __init__(self, keep: int):
        self.keep = keep
        self.heap: list[tuple[float, int, str, bytes]] = []
        self.seq = 0

    def offer(self, change: float, key: str, image: np.ndarray) -> None:
        self.seq += 1
        if self.keep <= 0:
            return
        if len(self.heap) < self.keep:
            heapq.heappush(self.heap, (change, self.seq, key, thumbnail(image)))
        elif change > self.heap[0][0]:
            heapq.heapreplace(self.heap, (change, self.seq, key, thumbnail(image)))

    def result(self) -> dict[str, bytes]:
        return {key: jpeg for _, _, key, jpeg in sorted(self.heap, reverse=True)}


def _predict(model, images: list, who: str) -> np.ndarray:
    scores = np.asarray(model.predict(images).scores, dtype=np.float64).reshape(-1)
    if scores.size != len(images):
        raise CleftEdgeError(f"the {who} gave {scores.size} scores for {len(images)} frames",
                             "one score per frame", "check the model's output and its spec")
    return scores


def score_stream(samples: Iterable, ref_model=None, cand_model=None, ref_t: float = 0.5, cand_t: float = 0.5,
                 total: int | None = None, label: str = "QA scoring", batch: int = BATCH,
                 keep_thumbs: int = THUMBS, progress: bool | None = None) -> tuple[Collected, dict[str, bytes]]:
    out = Collected()
    thumbs = _Thumbs(keep_thumbs)
    pending: list = []
    with Progress(total, label, enabled=progress) as bar:
        def flush() -> None:
            images = [s.image for s in pending]
            r = _predict(ref_model, images, "reference") if ref_model is not None else np.full(len(images), np.nan)
            c = _predict(cand_model, images, "candidate") if cand_model is not None else np.full(len(images), np.nan)
            for s, rs, cs in zip(pending, r, c, strict=True):
                out.keys.append(str(s.key))
                out.labels.append(str(s.label))
                out.positive.append(bool(s.positive))
                out.case_ids.append(None if s.case_id in (None, "") else str(s.case_id))
                out.sites.append(None if s.site in (None, "") else str(s.site))
                out.severity.append(_severity(s.severity))
                out.ref.append(float(rs))
                out.cand.append(float(cs))
                if ref_model is not None and cand_model is not None and (rs >= ref_t) != (cs >= cand_t):
                    thumbs.offer(abs(float(cs - rs)), str(s.key), s.image)
            bar.update(len(pending))
            pending.clear()

        for sample in samples:
            pending.append(sample)
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
    if len(set(out.keys)) != len(out.keys):
        raise CleftEdgeError("the data set yields the same frame key twice", "unique frame keys",
                             "remove the duplicate entries from the data set")
    return out, thumbs.result()
