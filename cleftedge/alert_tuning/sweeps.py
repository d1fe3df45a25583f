"""The user's labelled sweeps (as `qa --sweeps` reads them: video + <stem>.labels.csv), scored once
each, and the sweeps a policy will be judged on, known by content."""

from __future__ import annotations

from pathlib import Path

from cleftedge.alert_tuning.record import SweepRecord
from cleftedge.alert_tuning.scoring import SweepScores, score_frames, score_video_sweep, video_frames
from cleftedge.calibration.qa.alert_parity import find_sweeps, read_truth
from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file
from cleftedge.progress import Progress


def _fresh_session(model) -> None:
    """A new steady sector per sweep: each sweep is its own session on the cart."""
    from cleftedge.runtime.preprocess import Preprocessor

    model.preprocessor = Preprocessor(model.spec.input, steady=True)


def _frame_count(video: Path) -> int | None:
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    return n or None


def load_sweeps(folder: Path, open_model, progress: bool | None = None) -> tuple[list[SweepScores], float]:
    """Every labelled sweep in the folder, scored once by the model; and the model's flag threshold.
    Labels are all read before any frame is scored, so a bad file fails fast."""
    pairs = find_sweeps(folder)
    for _, labels in pairs:
        read_truth(labels)
    total = sum(_frame_count(v) or 0 for v, _ in pairs) or None
    model = open_model()
    try:
        out = []
        with Progress(total, "tune-alerts scoring", enabled=progress) as bar:
            for video, labels in pairs:
                _fresh_session(model)
                out.append(score_video_sweep(video, labels, {"model": model}, bar))
        return out, float(model.spec.output.threshold)
    finally:
        model.close()


def fingerprint_sweeps(folders: list[Path], open_model, progress: bool | None = None) -> list[SweepRecord]:
    """The records (content hash, fingerprint) of every sweep video in the folders, no inference."""
    from cleftedge.calibration.qa.phash import to_hex

    videos = [v for folder in folders for v, _ in find_sweeps(folder)]
    model = open_model()
    try:
        out = []
        with Progress(sum(_frame_count(v) or 0 for v in videos) or None, "judged sweeps", enabled=progress) as bar:
            for video in videos:
                _fresh_session(model)
                frames, fps = video_frames(video)
                _, frozen, hashes, _ = score_frames(frames, {"model": model}, fps, progress=bar, infer=False)
                out.append(SweepRecord(str(video), sha256_file(video), len(frozen), "".join(to_hex(hashes))))
        return out
    finally:
        model.close()


def refuse_same_files(tune_dir: Path, judged_dirs: list[Path]) -> None:
    """Before any scoring: a tuning sweep whose video has the same content as a judged one (any
    name) is refused."""
    if not judged_dirs:
        return
    judged = {sha256_file(v): v for d in judged_dirs for v, _ in find_sweeps(d)}
    for video, _ in find_sweeps(tune_dir):
        twin = judged.get(sha256_file(video))
        if twin is not None:
            raise CleftEdgeError(f"--sweeps {tune_dir} overlaps --judged-on: {video.name} is {twin} (same content, "
                                 f"SHA-256)", "tuning sweeps that are not the sweeps the policy is judged on",
                                 "tune on other sweeps than the ones it will be judged on")
