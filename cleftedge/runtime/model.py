"""A model ready to score frames: preprocessing + a backend + scoring, all as its spec says.

    with Model.open("model.onnx") as model:
        p = model.predict([frame])          # uint8 grey or BGR frames, any size
        p.scores                            # (N,) cleft scores in [0, 1]
        s = model.score_frame(frame)        # the frame path: the prediction, its stage clock and
        s.geometry, s.clock                 # the geometry and sector of this very frame
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import Backend, backend_for_path, bundle_options, open_backend
from cleftedge.runtime.metrics import StageClock
from cleftedge.runtime.preprocess import Geometry, Prepared, Preprocessor
from cleftedge.runtime.scoring import scores_from_output
from cleftedge.runtime.sector import Sector
from cleftedge.spec import ModelSpec


@dataclass
class Prediction:
    """What the model said about a batch."""

    scores: np.ndarray  # (N,) float64 in [0, 1]
    heatmaps: np.ndarray | None  # (N, h, w) float32, when the spec names a heat-map output
    raw: dict[str, np.ndarray]  # every model output by name


@dataclass(frozen=True)
class Scored:
    """Frames through the whole model path: the prediction, each frame's preprocessing (its tensor,
    geometry and sector, in the order given) and when each step ended (the stage clock)."""

    prediction: Prediction
    inputs: tuple[Prepared, ...]
    clock: StageClock

    @property
    def score(self) -> float:
        """The first (for `score_frame`, the only) frame's score."""
        return float(self.prediction.scores[0])

    @property
    def heatmap(self) -> np.ndarray | None:
        """The first frame's heat map, when the model gives one."""
        return self.prediction.heatmaps[0] if self.prediction.heatmaps is not None else None

    @property
    def geometry(self) -> Geometry:
        """The first frame's geometry: where its tensor came from in the frame."""
        return self.inputs[0].geometry

    @property
    def sector(self) -> Sector | None:
        """The sector the first frame was cropped to (None without a sector crop or a fan)."""
        return self.inputs[0].sector


class Model:
    """Preprocessing, a backend and scoring, as the spec says; `score_frame` is the frame path."""

    def __init__(self, backend: Backend, manifest: dict[str, Any] | None = None, steady: bool = False) -> None:
        self.backend = backend
        self.spec: ModelSpec = backend.spec
        # steady=True for a live stream (the sector crop is kept steady over frames); False for stills
        self.preprocessor = Preprocessor(self.spec.input, steady=steady)
        self.manifest = manifest  # the bundle manifest, when the model came from a bundle

    @classmethod
    def open(cls, path: str | os.PathLike, backend: str | None = None, device: str = "CPU",
             spec: ModelSpec | str | os.PathLike | None = None, **options: Any) -> Model:
        """Open an ONNX file, an OpenVINO IR, a TensorRT plan (with `spec=`) or a bundle.

        steady=True keeps the sector crop steady over frames (one Model per live stream).
        Bundle-only options: trust_store, allow_unsigned, allow_rollback (passed to bundle.open_verified).
        """
        steady = bool(options.pop("steady", False))
        trust_store = options.pop("trust_store", None)
        allow_unsigned = bool(options.pop("allow_unsigned", False))
        purpose = options.pop("bundle_purpose", "run")  # "qa": judged before QA is attached and signed
        allow_rollback = bool(options.pop("allow_rollback", False))
        opened = _open_bundle(Path(path), spec, trust_store, allow_unsigned, purpose, allow_rollback)
        manifest: dict[str, Any] | None = None
        if opened is not None:
            path, spec, manifest = opened
            backend = backend or _manifest_backend(manifest)
            if backend == _manifest_backend(manifest):  # e.g. a plan's DLA core, an IR's pinned precision
                options = {**bundle_options(manifest), **options}
        if steady and "batch" not in options and (backend or backend_for_path(path)) == "openvino":
            # a live stream scores one frame at a time: a static batch of 1 spares OpenVINO the
            # per-call shape inference of a dynamic batch (measurable on a model this small)
            options["batch"] = 1
        return cls(open_backend(path, backend=backend, device=device, spec=spec, **options), manifest, steady)

    def predict(self, frames: Iterable[np.ndarray] | np.ndarray) -> Prediction:
        """Score frames (uint8 grey (H, W) or BGR (H, W, 3)); one frame alone is taken too."""
        if isinstance(frames, np.ndarray) and frames.ndim in (2, 3):
            frames = [frames]
        elif not isinstance(frames, Sequence):
            frames = list(frames)
        return self.score_frames(frames).prediction

    def score_frame(self, frame: np.ndarray) -> Scored:
        """One frame through the model path (what `run` and `bench` time): see `score_frames`."""
        return self.score_frames([frame])

    def score_frames(self, frames: Sequence[np.ndarray]) -> Scored:
        """Preprocess and score frames as one request, noting when each step ended.

        Takes uint8 grey or BGR frames (one or more); returns the prediction with each frame's
        geometry and sector and the request's stage clock. A frame the model cannot take raises
        CleftEdgeError; an engine fault raises what the engine raised."""
        if len(frames) == 0:
            raise CleftEdgeError("no frames to score", "one or more frames", "pass a list of frames")
        started = time.monotonic()
        inputs = tuple(self.preprocessor.prepare(f) for f in frames)
        batch = inputs[0].tensor[None] if len(inputs) == 1 else np.stack([p.tensor for p in inputs])
        preprocessed = time.monotonic()
        prediction = self.predict_tensors(batch)
        return Scored(prediction, inputs, StageClock(started, preprocessed, time.monotonic()))

    def predict_tensors(self, batch: np.ndarray) -> Prediction:
        """Score an already-preprocessed float32 (N, C, H, W) batch."""
        raw = self.backend.infer(batch)
        out = self.spec.output
        scores = scores_from_output(out, raw[out.name])
        heatmaps = _heatmaps(raw[out.heatmap], out.positive_classes, len(out.class_names)) if out.heatmap else None
        return Prediction(scores, heatmaps, raw)

    def warmup(self, n: int = 5) -> None:
        """Run `n` inferences on a dummy batch (lazy allocation, kernel choice) before timing matters."""
        self.backend.warmup(n)

    def describe(self) -> dict[str, Any]:
        """The backend's description plus the spec's name, version and threshold, and the bundle's
        cart facts (release, rollback) when the model came from a bundle."""
        info = self.backend.describe()
        info["spec"] = {"model_name": self.spec.model_name, "model_version": self.spec.model_version,
                        "threshold": self.spec.output.threshold}
        info["bundle"] = self.manifest is not None
        if isinstance(self.manifest, Mapping) and "cart" in self.manifest:
            info["cart"] = self.manifest["cart"]  # what verification found: release, rollback allowed
        return info

    def close(self) -> None:
        """Release the engine."""
        self.backend.close()

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _heatmaps(raw: np.ndarray, positive: tuple[int, ...], n_classes: int) -> np.ndarray:
    """(N, h, w) from (N, h, w), (N, 1, h, w) or one map per class (N, classes, h, w)."""
    x = np.asarray(raw, dtype=np.float32)
    if x.ndim == 4 and x.shape[1] == 1:
        return x[:, 0]
    if x.ndim == 4 and x.shape[1] == n_classes:
        return x[:, list(positive)].sum(axis=1)
    if x.ndim == 3:
        return x
    raise CleftEdgeError(f"heat-map output of shape {x.shape}", f"(N, h, w), (N, 1, h, w) or (N, {n_classes}, h, w)",
                         "fix output.heatmap in the spec or the model's heat-map output")


# --- bundles ---------------------------------------------------------------------------

def _open_bundle(path: Path, spec: ModelSpec | str | os.PathLike | None, trust_store: str | os.PathLike | None,
                 allow_unsigned: bool, purpose: str = "run",
                 allow_rollback: bool = False) -> tuple[Path, ModelSpec, dict[str, Any]] | None:
    """Verify a bundle and return (engine path, spec, manifest); None for a plain model file. The
    bundle package is imported here, when a model is opened (a plain file needs none of it)."""
    bundle = importlib.import_module("cleftedge.runtime.bundle")
    if not bundle.is_bundle(path):
        return None
    if spec is not None:
        raise CleftEdgeError(f"--spec given with the bundle {path.name}", "no --spec: a bundle carries its own spec",
                             "drop --spec (the signed manifest's spec is the one that runs)")
    extra: dict[str, Any] = {} if purpose == "run" else {"purpose": purpose}  # the pinned three-argument call
    if allow_rollback:
        extra["allow_rollback"] = True
    engine_path, bundle_spec, manifest = bundle.open_verified(path, trust_store=trust_store,
                                                              allow_unsigned=allow_unsigned, **extra)
    return Path(engine_path), bundle_spec, manifest


def _manifest_backend(manifest: object) -> str | None:
    """The backend a bundle names (manifest "backend"); None lets the engine file's type decide."""
    value = manifest.get("backend") if isinstance(manifest, Mapping) else getattr(manifest, "backend", None)
    return value if isinstance(value, str) and value else None
