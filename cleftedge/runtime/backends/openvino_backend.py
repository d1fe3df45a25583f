"""OpenVINO on CPU, GPU, NPU or AUTO; reads ONNX or IR (.xml + .bin).

Compiled with the LATENCY performance hint (one frame at a time, as a cart scans) and a checked
compiled-model cache (openvino_cache.py), so that a second start skips compilation. OpenVINO runs FP32 models in bf16 on
CPUs that have it; `true_fp32=True` asks for f32 (the reference a parity check wants).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require
from cleftedge.runtime.backends.base import Backend, TensorInfo
from cleftedge.runtime.backends.openvino_cache import CompiledCache, default_cache_dir
from cleftedge.runtime.backends.perf import LayerProfile, RunClock, ThroughputRun
from cleftedge.runtime.backends.precision import PRECISIONS
from cleftedge.runtime.model_spec import resolve_spec
from cleftedge.spec import ModelSpec

DEVICES = ("CPU", "GPU", "NPU", "AUTO", "HETERO", "MULTI")
HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
PRECISION_OPS = ("Convolution", "FullyConnected", "MatMul")  # whose runtimePrecision says how it runs
COPY_BYTES = 1 << 20  # inputs up to this size are copied into the request's own buffer (see _set_input)


class OpenVINOBackend(Backend):
    name = "openvino"
    # true_fp32: f32 inference precision; inference_precision: f32, bf16 or f16 (what a bundle's
    # manifest pins); cache_dir: compiled-model cache ("" turns it off); hint: performance hint;
    # threads: CPU inference threads; batch: fix a dynamic batch size (NPU needs static shapes: it
    # gets batch 1 unless told otherwise); streams: execution streams (NUM_STREAMS, benchmark_app
    # -nstreams; default: what the hint picks).
    OPTIONS = {"true_fp32": bool, "inference_precision": str, "cache_dir": (str, Path), "hint": str,
               "threads": int, "batch": int, "streams": int}

    def _load_impl(self, spec: ModelSpec | str | os.PathLike | None) -> ModelSpec:
        self._ov = ov = require("openvino", "openvino")
        self._core = core = ov.Core()
        self.device = _check_device(self.device, core.available_devices)
        model_spec = resolve_spec(self.model_path, spec)
        config = self._config()
        batch = self.options.get("batch")
        if batch is None and self.device.startswith("NPU"):
            batch = 1
        self._batch = batch
        cache = CompiledCache.at(self.options.get("cache_dir"))
        identity = self._cache_identity(batch) if cache.folder is not None else {}
        self.compiled, self.cache_status = cache.load(core, identity, self.device, config)
        if self.compiled is not None:
            return self._ready(model_spec)
        self.compiled = self._compile(model_spec, config)
        self.cache_status = cache.store(self.compiled, identity, self.cache_status)
        return self._ready(model_spec)

    def _compile(self, model_spec: ModelSpec, config: dict[Any, Any]) -> Any:
        """Compile the model file for this device (with its batch fixed, when one is set)."""
        core = self._core
        try:
            if self._batch is None:
                return core.compile_model(str(self.model_path), self.device, config)
            model = core.read_model(str(self.model_path))
            _fix_batch(model, model_spec, int(self._batch))
            return core.compile_model(model, self.device, config)
        except CleftEdgeError:
            raise
        except Exception as exc:  # OpenVINO raises RuntimeError with a long multi-line text
            raise CleftEdgeError(f"OpenVINO cannot load {self.model_path.name} on {self.device} ({_first_line(exc)})",
                                 "an ONNX file or an IR .xml with its .bin beside it",
                                 "check the files, or re-export the model") from None

    def _cache_identity(self, batch: int | None) -> dict[str, Any]:
        """What a compiled blob depends on: the engine's bytes, OpenVINO, the device, every option."""
        from cleftedge.runtime.bundle.manifest import engine_identity

        return {"engine_sha256": engine_identity(self.model_path), "openvino": self._ov.get_version(),
                "device": self.device, "batch": batch, "hint": self._hint(),
                "threads": self.options.get("threads"), "streams": self.options.get("streams"),
                "true_fp32": bool(self.options.get("true_fp32")),
                "inference_precision": self.options.get("inference_precision")}

    def _ready(self, model_spec: ModelSpec) -> ModelSpec:
        ov = self._ov
        self.request = self.compiled.create_infer_request()
        self._queue: Any = None  # the throughput run's requests, made by the first one
        self._owned: Any = None  # the input tensor this backend allocated (see _set_input)
        self._owned_in_use = False
        self._f32_input = self.compiled.inputs[0].get_element_type() == ov.Type.f32
        self._wanted = {model_spec.input.name, model_spec.output.name, model_spec.output.heatmap}
        return model_spec

    def _hint(self) -> str:
        return str(self.options.get("hint") or "LATENCY").upper()

    def _config(self) -> dict[Any, Any]:
        hints = self._ov.properties.hint
        props = self._ov.properties
        hint = self._hint()
        if hint not in HINTS:
            raise CleftEdgeError(f"hint '{hint}' for the openvino backend", "one of " + ", ".join(HINTS),
                                 "use LATENCY for live scanning")
        config: dict[Any, Any] = {hints.performance_mode: getattr(hints.PerformanceMode, hint)}
        cache_dir = self.options.get("cache_dir")
        cache_dir = default_cache_dir() if cache_dir is None else str(cache_dir)
        precision = self.options.get("inference_precision")
        if self.options.get("true_fp32"):
            if precision not in (None, "f32"):
                raise CleftEdgeError(f"true_fp32 with inference_precision={precision}", "one precision",
                                     "drop one of the two options")
            precision = "f32"
        if precision is not None:
            if precision not in PRECISIONS:
                raise CleftEdgeError(f"inference_precision '{precision}' for the openvino backend",
                                     "one of " + ", ".join(PRECISIONS), "e.g. inference_precision=f32")
            config[hints.inference_precision] = getattr(self._ov.Type, precision)
        threads = self.options.get("threads")
        if threads is not None:
            if threads < 1:
                raise CleftEdgeError(f"threads={threads}", "1 or more", "pass a positive thread count")
            config[props.inference_num_threads] = threads
        streams = self.options.get("streams")
        if streams is not None:
            if streams < 1:
                raise CleftEdgeError(f"streams={streams}", "1 or more", "pass a positive stream count")
            config[props.num_streams] = streams
        self.cache_dir = cache_dir or None
        return config

    def _io_impl(self) -> tuple[list[TensorInfo], list[TensorInfo]]:
        return ([self._info(p) for p in self.compiled.inputs], [self._info(p) for p in self.compiled.outputs])

    def _info(self, port: Any) -> TensorInfo:
        names = port.get_names()
        chosen = [n for n in names if n in self._wanted]
        name = chosen[0] if chosen else port.get_any_name()
        shape = tuple(d.get_length() if d.is_static else None for d in port.get_partial_shape())
        return TensorInfo(name, shape, _np_name(port.get_element_type()))

    def _infer_impl(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        self._set_input(batch)
        request = self.request
        request.infer()
        self._add_engine_ms(request.latency)
        return {info.name: request.get_output_tensor(i).data.copy() for i, info in enumerate(self.outputs)}

    def _set_input(self, batch: np.ndarray) -> None:
        # A frame is copied into an input buffer the backend owns, then infer() runs with no
        # arguments: on a 0.35 ms model infer({0: batch}) and its result dict cost 7-9 % more
        # (benchmarks/bench_inference.py). A large batch (QA) is handed over without a copy instead.
        # Only a buffer the backend allocated is ever written to, never a caller's array.
        # (Shapes are compared on numpy views: iterating an ov.Shape costs ~13 us.)
        if batch.nbytes > COPY_BYTES and self._f32_input:
            self.request.set_input_tensor(self._ov.Tensor(batch, shared_memory=True))
            self._owned_in_use = False
            return
        if self._owned is None or self._owned.data.shape != batch.shape:
            self._owned = self._ov.Tensor(self.compiled.inputs[0].get_element_type(), self._ov.Shape(batch.shape))
            self._owned_in_use = False
        if not self._owned_in_use:
            self.request.set_input_tensor(self._owned)
            self._owned_in_use = True
        np.copyto(self._owned.data, batch, casting="same_kind")

    def _describe_impl(self) -> dict[str, Any]:
        ops = self.op_precisions()
        main = next((ops[t] for t in PRECISION_OPS if t in ops), {})
        precision = "+".join(p for p, _ in Counter(main).most_common()) or "unknown"
        try:
            value = self.compiled.get_property(self._ov.properties.hint.inference_precision)
            inference_precision = value.get_type_name() if hasattr(value, "get_type_name") else str(value)
        except Exception:  # not every device reports it
            inference_precision = None
        return {"precision": precision, "op_precisions": ops, "inference_precision": inference_precision,
                "hint": self._hint(), **self._streams(), "cache_dir": self.cache_dir,
                "cache": self.cache_status,
                "true_fp32": bool(self.options.get("true_fp32")),
                "pinned_precision": self.options.get("inference_precision") or
                ("f32" if self.options.get("true_fp32") else None),
                "versions": {"openvino": self._ov.get_version()}}

    def _throughput_impl(self, batch: np.ndarray, clock: RunClock) -> ThroughputRun:
        from cleftedge.runtime.backends.openvino_perf import request_queue, run_queue

        if self._queue is None:
            self._queue = request_queue(self._ov, self.compiled)
        return run_queue(self._ov, self.compiled, self._queue, batch, clock)

    def _profile_layers_impl(self, batch: np.ndarray, runs: int) -> LayerProfile:
        from cleftedge.runtime.backends.openvino_perf import profile_compiled

        # a compiled copy with performance counters on (PERF_COUNT), so the timed one stays as it was
        config = {**self._config(), self._ov.properties.enable_profiling: True}
        return profile_compiled(self._compile(self.spec, config), batch, runs)

    def op_precisions(self) -> dict[str, dict[str, int]]:
        """layerType -> {runtimePrecision: count} for the compute ops of the compiled (runtime) model."""
        try:
            runtime = self.compiled.get_runtime_model()
        except Exception:  # some plugins (NPU) expose no runtime model
            return {}
        found: dict[str, Counter] = {}
        for op in runtime.get_ordered_ops():
            info = op.get_rt_info()
            kind = info["layerType"].astype(str) if "layerType" in info else ""
            if kind in PRECISION_OPS and "runtimePrecision" in info:
                found.setdefault(kind, Counter())[info["runtimePrecision"].astype(str)] += 1
        return {k: dict(v) for k, v in found.items()}

    def _streams(self) -> dict[str, int | None]:
        """The execution streams and the infer requests the compiled model runs at once (where it says)."""
        props = self._ov.properties
        found: dict[str, int | None] = {}
        for key, prop in (("streams", props.num_streams), ("infer_requests", props.optimal_number_of_infer_requests)):
            try:
                found[key] = int(self.compiled.get_property(prop))
            except Exception:  # not every device reports both
                found[key] = None
        return found

    def _close_impl(self) -> None:
        self.request = self._queue = None
        self.compiled = None


def _check_device(device: str, available: list[str]) -> str:
    dev = device.strip().upper()
    base = dev.split(":")[0].split(".")[0]
    if base not in DEVICES:
        raise CleftEdgeError(f"device '{device}' for the openvino backend", "one of " + ", ".join(DEVICES),
                             "pass --device CPU, GPU, NPU or AUTO")
    have = sorted({d.split(".")[0] for d in available})
    if base in ("CPU", "GPU", "NPU") and base not in have:
        raise CleftEdgeError(f"OpenVINO device {base} is not available here (available: {', '.join(have)})",
                             f"a machine with an OpenVINO {base} device and its driver",
                             "pass --device AUTO or one of the available devices")
    return dev


def _fix_batch(model: Any, spec: ModelSpec, batch: int) -> None:
    if batch < 1:
        raise CleftEdgeError(f"batch={batch}", "1 or more", "pass a positive batch size")
    inputs = [p for p in model.inputs if spec.input.name in p.get_names()]
    if inputs:  # a missing input is reported by check_io after compilation
        c, h, w = spec.input.shape
        model.reshape({inputs[0]: [batch, c, h, w]})


def _np_name(element_type: Any) -> str:
    try:
        return np.dtype(element_type.to_dtype()).name
    except Exception:  # a type numpy has no name for (bf16, u4, ...)
        return element_type.get_type_name()


def _first_line(exc: Exception) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]
