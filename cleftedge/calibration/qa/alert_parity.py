"""Alert parity on labelled sweeps: the reference's and the candidate's alert timelines under the
runtime's own alert policy, compared (alerts missed or added, difference in time to alert).

A sweep is a video with `<stem>.labels.csv` beside it (`frame,in_plane,cleft`). Every frame is
scored by both models in batches; the alert policy turns each score stream into alert spans."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.progress import Progress

if TYPE_CHECKING:
    from cleftedge.runtime.alerts import AlertConfig
    from cleftedge.runtime.model import Model


VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
BATCH = 32
TRUE = {"1", "true", "yes", "y", "t"}


def find_sweeps(folder: Path) -> list[tuple[Path, Path]]:
    """The (video, labels CSV) pairs in a sweeps folder: every video with a <stem>.labels.csv beside it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CleftEdgeError(f"sweeps folder {folder} does not exist", "a folder of videos with <stem>.labels.csv",
                             "check --sweeps (make some with 'cleftedge simulate sweep')")
    pairs = []
    for video in sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES):
        labels = video.with_name(video.stem + ".labels.csv")
        if labels.is_file():
            pairs.append((video, labels))
    if not pairs:
        raise CleftEdgeError(f"no labelled sweep in {folder}", "videos with <stem>.labels.csv beside them",
                             "check --sweeps")
    return pairs


def read_truth(path: Path) -> np.ndarray:
    """Per frame: is a cleft in view (in plane and cleft)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        pairs = [(int(r["frame"]), str(r["in_plane"]).strip().lower() in TRUE and
                  str(r["cleft"]).strip().lower() in TRUE) for r in rows]
    except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise CleftEdgeError(f"sweep labels {path} cannot be read ({exc})", "columns frame,in_plane,cleft",
                             "rewrite the labels file") from None
    truth = np.zeros(max((i for i, _ in pairs), default=-1) + 1, bool)
    for i, v in pairs:
        truth[i] = v
    return truth


def score_video(video: Path, models: list, progress: Progress) -> tuple[list[np.ndarray], float]:
    """Scores of every frame for each model, and the video's frame rate."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise CleftEdgeError(f"cannot open the sweep video {video}", "a video OpenCV can decode", "check the file")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    out: list[list[np.ndarray]] = [[] for _ in models]
    batch: list[np.ndarray] = []
    try:
        while True:
            ok, frame = cap.read()
            if ok:
                batch.append(frame)
            if batch and (len(batch) >= BATCH or not ok):
                for store, m in zip(out, models, strict=True):
                    store.append(np.asarray(m.predict(batch).scores, np.float64))
                progress.update(len(batch))
                batch = []
            if not ok:
                break
    finally:
        cap.release()
    return [np.concatenate(s) if s else np.zeros(0) for s in out], float(fps)


def alert_spans(scores: np.ndarray, threshold: float, fps: float, config: AlertConfig | None = None,
                frozen: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(first, last) frame of each alert the runtime's own alert policy raises on this score
    stream (frozen frames do not vote, as on the cart); an alert still up at the end lasts to the
    last frame."""
    from cleftedge.runtime.alerts import AlertConfig, AlertPolicy

    policy = AlertPolicy(config or AlertConfig(), threshold)
    still = np.zeros(len(scores), bool) if frozen is None else frozen
    for i, (s, f) in enumerate(zip(scores.tolist(), still.tolist(), strict=True)):
        policy.update(i, i / fps, s, f)
    last = len(scores) - 1
    return [(a.start_frame, a.end_frame if a.end_frame is not None else last) for a in policy.alerts]


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] <= b[1] and b[0] <= a[1] for b in spans)


def episodes(truth: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) frame of each run of frames where `truth` is set (a cleft in view)."""
    edges = np.diff(np.r_[0, truth.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))


def first_alert(spans: list[tuple[int, int]], ep: tuple[int, int]) -> int | None:
    """The first frame of the episode at which an alert is up (raised in it, or already active)."""
    hits = [max(s, ep[0]) for s, e in spans if s <= ep[1] and e >= ep[0]]
    return min(hits) if hits else None


def compare_sweep(name: str, ref_spans: list[tuple[int, int]], cand_spans: list[tuple[int, int]], truth: np.ndarray,
                  fps: float) -> dict:
    """One sweep's alerts compared: those the candidate misses or adds, and per cleft episode (from `truth`) how
    much sooner or later the candidate's first alert comes, in seconds."""
    missed = [s for s in ref_spans if not _overlaps(s, cand_spans)]
    added = [s for s in cand_spans if not _overlaps(s, ref_spans)]
    eps = []
    for ep in episodes(truth):
        r, c = first_alert(ref_spans, ep), first_alert(cand_spans, ep)
        eps.append({"start_frame": ep[0], "end_frame": ep[1],
                    "reference_time_to_alert_s": None if r is None else (r - ep[0]) / fps,
                    "candidate_time_to_alert_s": None if c is None else (c - ep[0]) / fps,
                    "difference_s": None if r is None or c is None else (c - r) / fps})
    diffs = [e["difference_s"] for e in eps if e["difference_s"] is not None]
    return {"sweep": name, "fps": fps, "reference_alerts": len(ref_spans), "candidate_alerts": len(cand_spans),
            "missed": len(missed), "added": len(added), "missed_spans": missed, "added_spans": added,
            "reference_spans": ref_spans, "candidate_spans": cand_spans, "episodes": eps,
            "time_to_alert_diff_s": float(np.mean(diffs)) if diffs else None,
            "max_abs_time_to_alert_diff_s": float(np.max(np.abs(diffs))) if diffs else None}


def alert_parity(folder: Path, ref_model: Model, cand_model: Model, ref_t: float, cand_t: float,
                 progress: bool | None = None, config: AlertConfig | None = None) -> dict:
    """Both models' alerts on every labelled sweep in `folder`, through the runtime's own alert policy
    (`config`, else its defaults), compared sweep by sweep (see `compare_sweep`); the report's alert section."""
    from cleftedge.runtime.alerts import AlertConfig, AlertPolicy

    config = config or AlertConfig()
    sweeps = find_sweeps(folder)
    rows = []
    with Progress(None, "alert parity", enabled=progress) as bar:
        for video, labels in sweeps:
            (ref, cand), fps = score_video(video, [ref_model, cand_model], bar)
            truth = read_truth(labels)
            rows.append(compare_sweep(video.name, alert_spans(ref, ref_t, fps, config),
                                      alert_spans(cand, cand_t, fps, config), truth, fps))
    diffs = [e["difference_s"] for r in rows for e in r["episodes"] if e["difference_s"] is not None]
    return {"policy": AlertPolicy(config, ref_t).describe(),
            "sweeps": rows, "missed": sum(r["missed"] for r in rows), "added": sum(r["added"] for r in rows),
            "episodes": sum(len(r["episodes"]) for r in rows),
            "time_to_alert_diff_s": {"mean": float(np.mean(diffs)) if diffs else None,
                                     "max_abs": float(np.max(np.abs(diffs))) if diffs else None}}
