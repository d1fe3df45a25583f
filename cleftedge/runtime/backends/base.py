"""The backend contract. Public methods validate and time; subclasses implement `_load_impl`,
`_io_impl`, `_infer_impl`, `_describe_impl` (and `_close_impl` when they hold native resources);
for `cleftedge bench`, `_throughput_impl` (default: one request at a time) and `_profile_layers_impl`
(default: refused) where the library can do better.

A batch is float32 (N, C, H, W) as the spec's input says. A model with a fixed batch size, or a
TensorRT profile with a largest batch, still takes any N: the base class runs it in chunks (padding
the last one when the model needs a fixed size), so callers never think about it.
"""

from __future__ import annotations

import os
import platform
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends.perf import LayerProfile, RunClock, RunLength, ThroughputRun
from cleftedge.spec import ModelSpec

HISTORY = 1024  # inference times kept (ms), oldest dropped


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the model file declares it; None marks a dynamic dimension."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str  # numpy dtype name: float32, float16, int8, ...


class Backend:
    name = "base"
    OPTIONS: dict[str, type | tuple] = {}  # option name -> accepted type(s)

    def __init__(self, model_path: str | os.PathLike, device: str = "CPU",
                 spec: ModelSpec | str | os.PathLike | None = None, **options: Any):
        self.model_path = Path(model_path)
        self.device = device
        self.options = _check_options(self.name, self.OPTIONS, options)
        self.last_ms: float | None = None
        # The inference time the library itself measures, where it reports one (OpenVINO's
        # InferRequest.latency, the figure benchmark_app prints): the same clock as the vendor's
        # tool, without the Python call around it. None where the library reports none.
        self.last_engine_ms: float | None = None
        self.history_ms: deque[float] = deque(maxlen=HISTORY)
        self._closed = False
        if not self.model_path.exists():
            raise CleftEdgeError(f"model file {self.model_path} does not exist", "an existing model file",
                                 "check the path given to --model")
        self.spec: ModelSpec = self._load_impl(spec)
        self.inputs, self.outputs = self._io_impl()
        self._check_io_impl()
        self.input_info = next(t for t in self.inputs if t.name == self.spec.input.name)
        self.min_batch, self.max_batch = self._batch_limits()

    # --- for subclasses ------------------------------------------------------
    def _load_impl(self, spec: ModelSpec | str | os.PathLike | None) -> ModelSpec:
        """Load the model; return the spec to run it with (see model_spec.resolve_spec)."""
        raise NotImplementedError

    def _io_impl(self) -> tuple[list[TensorInfo], list[TensorInfo]]:
        raise NotImplementedError

    def _check_io_impl(self) -> None:
        """Check the loaded model's I/O against the spec (check_io), once, after `_load_impl`. A backend
        that must check it while loading (TensorRT, before it allocates for the plan) does so there
        and overrides this to do nothing."""
        check_io(self.spec, self.inputs, self.outputs, self.model_path.name)

    def _infer_impl(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _describe_impl(self) -> dict[str, Any]:
        return {}

    def _close_impl(self) -> None:
        pass

    def _throughput_impl(self, batch: np.ndarray, clock: RunClock) -> ThroughputRun:
        """Keep the engine busy with `batch` while `clock.more()`; the default runs one request at a time."""
        wall: list[float] = []
        engine: list[float] = []
        while clock.more():
            self.last_engine_ms = None
            start = time.perf_counter()
            self._infer_impl(batch)
            wall.append((time.perf_counter() - start) * 1000.0)
            if self.last_engine_ms is not None:
                engine.append(self.last_engine_ms)
        seconds = time.perf_counter() - clock.start
        return ThroughputRun(len(wall), batch.shape[0], 1, seconds, tuple(wall),
                             tuple(engine) if len(engine) == len(wall) else None)

    def _profile_layers_impl(self, batch: np.ndarray, runs: int) -> LayerProfile:
        """Per-layer times of `runs` inferences of `batch`, from the library's own profiler."""
        raise CleftEdgeError(f"the {self.name} backend has no per-layer profiler here", "onnxruntime, openvino "
                             "or tensorrt", "drop --profile-layers")

    def _add_engine_ms(self, ms: float) -> None:
        """For subclasses: add the library's own time for one `_infer_impl` call (chunks add up)."""
        self.last_engine_ms = (self.last_engine_ms or 0.0) + ms

    def _batch_limits(self) -> tuple[int, int | None]:
        """(smallest, largest) batch one call of _infer_impl takes; None: no upper limit."""
        n = self.input_info.shape[0] if self.input_info.shape else None
        return (1, None) if n is None else (n, n)

    # --- public ----------------------------------------------------------------
    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Run one batch; returns every model output by name. Times the call (`last_ms`)."""
        self._check_open()
        batch = validate_batch(batch, self.spec)
        self.last_engine_ms = None
        start = time.perf_counter()
        out = self._run_chunks(batch)
        self.last_ms = (time.perf_counter() - start) * 1000.0
        self.history_ms.append(self.last_ms)
        return out

    def check_batch(self, n: int) -> None:
        """Refuse a batch that one call of the engine cannot take as it is loaded (infer() would
        split or pad it): a static-batch model, a TensorRT profile, OpenVINO fixed to a batch."""
        if n >= self.min_batch and (self.max_batch is None or n <= self.max_batch):
            return
        lo, hi = self.min_batch, self.max_batch
        takes = f"batch {lo}" if lo == hi else f"a batch of {lo} to {hi}" if hi else f"a batch of {lo} or more"
        fix = (f"pass --batch {lo}, or export the model with a dynamic batch" if lo == hi else
               "pass a batch within those limits")
        raise CleftEdgeError(f"batch {n} for {self.model_path.name} on the {self.name} backend, which takes {takes} "
                             "in one call", f"{takes}", fix)

    def run_throughput(self, batch: np.ndarray, length: RunLength) -> ThroughputRun:
        """Run `batch` (one request each) with as many requests in flight as the backend runs at
        once (OpenVINO: the compiled model's infer requests; onnxruntime: its `streams` option;
        others: one), for `length`. Returns the counts, the wall time and per-request latencies."""
        self._check_open()
        batch = validate_batch(batch, self.spec)
        self.check_batch(batch.shape[0])
        return self._throughput_impl(batch, length.check().clock())

    def profile_layers(self, batch: np.ndarray, runs: int = 50) -> LayerProfile:
        """Per-layer times over `runs` inferences of `batch` as the library's profiler reports them
        (OpenVINO performance counters, onnxruntime's profiler, TensorRT's IProfiler), slowest first.
        The profile runs on its own profiling-enabled copy of the engine, so timed runs stay untouched."""
        self._check_open()
        batch = validate_batch(batch, self.spec)
        self.check_batch(batch.shape[0])
        if runs < 1:
            raise CleftEdgeError(f"{runs} profiled runs", "1 or more", "e.g. 50")
        return self._profile_layers_impl(batch, int(runs))

    def _check_open(self) -> None:
        if self._closed:
            raise CleftEdgeError(f"the {self.name} backend for {self.model_path.name} is closed",
                                 "an open backend", "open the model again")

    def warmup(self, n: int = 5) -> None:
        """Run n batches of zeros so that lazy allocation and kernel selection happen now;
        the warm-up calls are not kept in the timing history."""
        batch = np.zeros((self.min_batch, *self.spec.input.shape), np.float32)
        for _ in range(max(0, int(n))):
            self.infer(batch)
        self.history_ms.clear()

    def describe(self) -> dict[str, Any]:
        """Backend, device, precision, library versions, model path and I/O, as plain JSON-able data."""
        info: dict[str, Any] = {
            "backend": self.name,
            "device": self.device,
            "precision": "unknown",
            "versions": {"python": platform.python_version(), "numpy": np.__version__},
            "model": str(self.model_path),
            "inputs": [_io_dict(t) for t in self.inputs],
            "outputs": [_io_dict(t) for t in self.outputs],
            "batch": {"min": self.min_batch, "max": self.max_batch},
        }
        extra = self._describe_impl()
        info["versions"].update(extra.pop("versions", {}))
        info.update(extra)
        return info

    def close(self) -> None:
        """Release the engine and its buffers; closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._close_impl()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- chunking --------------------------------------------------------------
    def _run_chunks(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        n = batch.shape[0]
        if n >= self.min_batch and (self.max_batch is None or n <= self.max_batch):
            return self._infer_impl(batch)
        step = self.max_batch or n
        parts: list[dict[str, np.ndarray]] = []
        for i in range(0, n, step):
            chunk = batch[i:i + step]
            rows = chunk.shape[0]
            if rows < self.min_batch:  # a fixed-size model: pad with zeros, keep the real rows
                pad = np.zeros((self.min_batch - rows, *chunk.shape[1:]), chunk.dtype)
                chunk = np.concatenate([chunk, pad])
            parts.append({k: v[:rows] for k, v in self._infer_impl(chunk).items()})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def validate_batch(batch: object, spec: ModelSpec) -> np.ndarray:
    """A float32 (N, C, H, W) array as the spec says, C-contiguous; else one clear line."""
    c, h, w = spec.input.shape
    want = f"a float32 batch of shape (N, {c}, {h}, {w}) as the spec's input '{spec.input.name}' says"
    if not isinstance(batch, np.ndarray):
        raise CleftEdgeError(f"batch of type {type(batch).__name__}", want, "pass a numpy array (Preprocessor.batch)")
    if batch.dtype != np.float32:
        raise CleftEdgeError(f"batch of dtype {batch.dtype}", want, "convert it with .astype(np.float32)")
    if batch.ndim != 4 or batch.shape[1:] != (c, h, w) or batch.shape[0] < 1:
        raise CleftEdgeError(f"batch of shape {tuple(batch.shape)}", want,
                             "preprocess frames with cleftedge.runtime.preprocess.Preprocessor")
    return np.ascontiguousarray(batch)


def check_io(spec: ModelSpec, inputs: list[TensorInfo], outputs: list[TensorInfo], source: str) -> None:
    """The model must take the spec's input (name, rank 4, C/H/W fixed as the spec says, or
    dynamic) and give the spec's output (and heat map, when the spec names one)."""
    fix = "pass the matching --spec, or re-export the model with 'cleftedge export'"
    by_name = {t.name: t for t in inputs}
    if spec.input.name not in by_name:
        raise CleftEdgeError(f"{source} has no input '{spec.input.name}' (its inputs: {sorted(by_name)})",
                             "the input named in the spec", fix)
    extra = [t.name for t in inputs if t.name != spec.input.name]
    if extra:
        raise CleftEdgeError(f"{source} has {len(inputs)} inputs {[t.name for t in inputs]}",
                             f"one input, '{spec.input.name}'", "export the model with a single image input")
    shape = by_name[spec.input.name].shape
    want = (None, *spec.input.shape)
    if len(shape) != 4 or any(d is not None and e is not None and d != e for d, e in zip(shape, want, strict=False)):
        shown = "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
        raise CleftEdgeError(f"{source} input '{spec.input.name}' has shape {shown}",
                             f"(N, {spec.input.channels}, {spec.input.height}, {spec.input.width}) as its spec says",
                             fix)
    out_names = [t.name for t in outputs]
    for role, name in (("output", spec.output.name), ("heat map output", spec.output.heatmap)):
        if name is not None and name not in out_names:
            raise CleftEdgeError(f"{source} has no {role} '{name}' (its outputs: {out_names})",
                                 f"the {role} named in the spec", fix)


def _check_options(backend: str, allowed: dict[str, type | tuple[type, ...]],
                   options: dict[str, Any]) -> dict[str, Any]:
    for key, value in options.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise CleftEdgeError(f"unknown option '{key}' for the {backend} backend", f"one of: {known}",
                                 "see docs/backends.md")
        kind = allowed[key]
        kinds: tuple[type, ...] = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds:
            kinds = (*kinds, int)  # 1 is as good a scale as 1.0
        if value is not None and not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            raise CleftEdgeError(f"option '{key}' of the {backend} backend is {value!r}", f"a {names}",
                                 "see docs/backends.md")
    return dict(options)


def _io_dict(t: TensorInfo) -> dict[str, Any]:
    return {"name": t.name, "shape": ["?" if d is None else d for d in t.shape], "dtype": t.dtype}
