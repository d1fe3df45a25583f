"""Score a sweep once, as the runtime does: the model's steady preprocessor on every frame, the
runtime's frozen-image detector, and a perceptual hash of one input tensor a second (the sweep's
fingerprint for the overlap check). Several models share one pass over the frames."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

BATCH = 32


@dataclass
class SweepScores:
    """One sweep after scoring: per-frame truth, frozen flags and scores, and its identity."""

    name: str
    sha256: str  # content hash: of the video file's bytes, or of the raw frames for a simulated stream
    fps: float
    truth: np.ndarray  # bool per frame: a cleft in view (in plane and cleft)
    frozen: np.ndarray  # bool per frame: the runtime's frozen detector says the image is frozen
    phash: np.ndarray  # uint64: perceptual hash of the input tensor of frames 0, fps, 2 fps, ...
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # per model label

    @property
    def frames(self) -> int:
        """The number of frames scored."""
        return len(self.frozen)


def sample_every(fps: float) -> int:
    """Every how many frames to keep one: about one a second at `fps`, at least every frame."""
    return max(1, int(round(fps)))


def score_frames(frames: Iterable[np.ndarray], models: dict, fps: float, content_hash: bool = False,
                 progress=None, infer: bool = True) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, str | None]:
    """(scores per model label, frozen per frame, phash samples, sha256 of the raw frames or None).
    infer=False: the fingerprint alone (no inference)."""
    from cleftedge.calibration.qa.phash import tensor_hashes
    from cleftedge.runtime.frozen import FrozenDetector

    every = sample_every(fps)
    frozen_det = FrozenDetector()
    digest = hashlib.sha256() if content_hash else None
    first = next(iter(models))
    tensors: dict[str, list[np.ndarray]] = {k: [] for k in models}
    scores: dict[str, list[np.ndarray]] = {k: [] for k in models}
    frozen, hashes = [], []

    def flush() -> None:
        for label, m in (models.items() if infer else ()):
            if tensors[label]:
                scores[label].append(np.asarray(m.predict_tensors(np.stack(tensors[label])).scores, np.float64))

    for i, image in enumerate(frames):
        if digest is not None:
            digest.update(np.ascontiguousarray(image).tobytes())
        for label, m in models.items():
            tensors[label].append(m.preprocessor(image))
        if i % every == 0:
            hashes.append(tensor_hashes(tensors[first][-1][None])[0])
        frozen.append(frozen_det.update(image))
        if len(tensors[first]) >= BATCH:
            flush()
            tensors = {k: [] for k in models}
            if progress is not None:
                progress.update(BATCH)
    if tensors[first]:
        flush()
        if progress is not None:
            progress.update(len(tensors[first]))
    out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in scores.items()}
    return out, np.array(frozen, bool), np.array(hashes, np.uint64), None if digest is None else digest.hexdigest()


def video_frames(video) -> tuple[Iterator[np.ndarray], float]:
    """The decoded frames of a video file and its frame rate (30 when the file does not say)."""
    import cv2

    from cleftedge.errors import CleftEdgeError

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise CleftEdgeError(f"cannot open the sweep video {video}", "a video OpenCV can decode", "check the file")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0) or 30.0

    def frames() -> Iterator[np.ndarray]:
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    return
                yield frame
        finally:
            cap.release()
    return frames(), fps


def score_video_sweep(video, labels, models: dict, progress=None) -> SweepScores:
    """Score one labelled sweep file (video + <stem>.labels.csv) with each model, once."""
    from cleftedge.calibration.qa.alert_parity import read_truth
    from cleftedge.errors import CleftEdgeError
    from cleftedge.hashing import sha256_file

    truth = read_truth(labels)
    frames, fps = video_frames(video)
    scores, frozen, hashes, _ = score_frames(frames, models, fps, progress=progress)
    if not len(frozen):
        raise CleftEdgeError(f"sweep video {video} has no frame", "a video with frames", "check the file")
    if len(truth) != len(frozen):  # labels of another video, or a truncated file: never guess
        raise CleftEdgeError(f"sweep labels {labels} cover {len(truth)} frames, the video {video.name} has "
                             f"{len(frozen)}", "one label row per video frame (frame 0 to the last)",
                             "relabel the sweep or pair it with its own labels file")
    return SweepScores(video.name, sha256_file(video), fps, truth, frozen, hashes, scores)
