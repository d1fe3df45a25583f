"""TensorRT (10.3+ and 11.x) on an NVIDIA GPU, with pycuda or cuda-python underneath.

One execution context, one CUDA stream, page-locked host buffers and device buffers sized once
for the profile's largest batch; the engine's own I/O dtypes; the CUDA context pushed in
whichever thread calls infer(). A bare plan carries no spec: pass `spec=` (--spec).

Not run on a GPU in this round (the development machines have none, and TensorRT cannot be
installed there). Every TensorRT name used here is checked against NVIDIA's binding sources of
10.3, 10.7, 10.16 and 11.1 (and 11.4's wheel) by tests/conformance; the plain logic lives in
tensorrt_plan.py and is tested without a GPU, the call sequence against a fake TensorRT that knows
only each version's names; `pytest -m tensorrt` runs this on a Jetson.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends.base import Backend, TensorInfo, check_io
from cleftedge.runtime.backends.perf import LayerProfile, layer_profile
from cleftedge.runtime.backends.tensorrt_inspector import engine_precision
from cleftedge.runtime.backends.tensorrt_plan import (
    TRT_TO_NUMPY,
    TensorRecord,
    from_engine,
    gpu_index,
    import_tensorrt,
    make_plan,
    plan_load_error,
    to_engine,
)
from cleftedge.runtime.cuda import open_cuda
from cleftedge.runtime.model_spec import resolve_spec
from cleftedge.spec import ModelSpec


class TensorRTBackend(Backend):
    name = "tensorrt"
    # cuda: "pycuda" | "cuda-python" | "auto"; allow_host_code: let a version-compatible plan run the
    # TensorRT runtime embedded in it (only for plans you trust: a verified bundle, your own build);
    # input_scale / output_scale: quantization scales for int8 engine I/O; dla_core: the DLA core a
    # DLA plan runs on (set on the Runtime before deserializing, as trtexec --useDLACore; a bundle's
    # manifest gives it).
    OPTIONS = {"cuda": str, "allow_host_code": bool, "input_scale": float, "output_scale": float, "dla_core": int}

    def _load_impl(self, spec: ModelSpec | str | os.PathLike | None) -> ModelSpec:
        model_spec = resolve_spec(self.model_path, spec)  # a bare plan without --spec fails here, before any GPU work
        self._trt = trt = import_tensorrt()
        self._index = gpu_index(self.device)
        self.cuda = open_cuda(self.options.get("cuda"), self._index)
        self._buffers: dict[str, Any] = {}
        try:
            with self.cuda.active():
                self._load_engine(trt, model_spec)
        except BaseException:
            try:
                self._release()  # a failed load leaves no GPU memory or context reference behind
            except Exception:  # keep the original error, which says what went wrong
                pass
            raise
        return model_spec

    def _load_engine(self, trt: Any, model_spec: ModelSpec) -> None:
        self.engine = self._deserialize(trt)
        self.records = read_records(trt, self.engine)
        self._inputs, self._outputs = _infos(self.records)
        check_io(model_spec, self._inputs, self._outputs, self.model_path.name)
        self.plan = make_plan(self.records, model_spec)
        self.context = self._new_context()
        self.stream = self.cuda.create_stream()
        self._allocate()

    def _deserialize(self, trt: Any) -> Any:
        logger = capturing_logger(trt)
        self._runtime = trt.Runtime(logger)
        # Version-compatible plans embed a lean runtime: TensorRT runs it only when host code is allowed.
        self._runtime.engine_host_code_allowed = bool(self.options.get("allow_host_code", True))
        if self.options.get("dla_core") is not None:  # a DLA plan: before deserializing, as trtexec does
            self._runtime.DLA_core = int(self.options["dla_core"])
        engine = self._runtime.deserialize_cuda_engine(self.model_path.read_bytes())
        if engine is None:
            info = self.cuda.device_info()
            gpu = f"{info['name']}, compute {info['compute_capability']}"
            raise plan_load_error(self.model_path.name, logger.messages, trt.__version__, gpu)
        return engine

    def _allocate(self) -> None:
        for b in self.plan.bindings:
            device = self.cuda.alloc_device(b.nbytes)
            host = self.cuda.alloc_pinned(b.max_count, b.dtype)
            self._buffers[b.name] = (device, host)
        self._bind(self.context)

    def _new_context(self) -> Any:
        context = self.engine.create_execution_context()
        if context is None:
            raise CleftEdgeError(f"TensorRT could not create an execution context for {self.model_path.name}",
                                 "enough free GPU memory", "close other GPU programs and retry")
        return context

    def _bind(self, context: Any) -> None:
        """Point a context at the backend's buffers: they never move, so once for every call."""
        for b in self.plan.bindings:
            if not context.set_tensor_address(b.name, self._buffers[b.name][0].ptr):
                raise CleftEdgeError(f"TensorRT refused the buffer for '{b.name}'", "a valid device address",
                                     "rebuild the plan on this device")

    def _io_impl(self) -> tuple[list[TensorInfo], list[TensorInfo]]:
        return self._inputs, self._outputs

    def _check_io_impl(self) -> None:
        """Checked in `_load_engine` already: before the plan is made and its buffers allocated."""

    def _batch_limits(self) -> tuple[int, int | None]:
        return self.plan.min_batch, self.plan.max_batch

    def _infer_impl(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        return self._execute(self.context, batch)

    def _execute(self, context: Any, batch: np.ndarray) -> dict[str, np.ndarray]:
        n = batch.shape[0]
        b_in = self.plan.input
        with self.cuda.active():  # whichever thread runs inference gets the context
            if not context.set_input_shape(b_in.name, self.plan.input_shape(n)):
                raise CleftEdgeError(f"TensorRT rejected input shape {self.plan.input_shape(n)}",
                                     "a shape within the plan's profile", "rebuild the plan with a larger profile")
            device, host = self._buffers[b_in.name]
            staged = host[:batch.size]
            staged[:] = to_engine(batch, b_in.dtype, self.options.get("input_scale"), b_in.name).ravel()
            self.cuda.htod_async(device, staged, self.stream)
            if not context.execute_async_v3(self.cuda.stream_handle(self.stream)):
                raise CleftEdgeError(f"TensorRT failed to run {self.model_path.name}", "a successful enqueue",
                                     "see the TensorRT log above; check GPU memory and the plan")
            shapes = {}
            for out in self.plan.outputs:
                shape = tuple(context.get_tensor_shape(out.name))
                device, host = self._buffers[out.name]
                shapes[out.name] = shape
                self.cuda.dtoh_async(host[:int(np.prod(shape))], device, self.stream)
            self.cuda.synchronize(self.stream)
        scale = self.options.get("output_scale")
        return {name: from_engine(self._buffers[name][1][:int(np.prod(s))].reshape(s).copy(), scale)
                for name, s in shapes.items()}

    def _profile_layers_impl(self, batch: np.ndarray, runs: int) -> LayerProfile:
        from cleftedge.runtime.backends.tensorrt_profiler import SOURCE, WARMUP_RUNS, layer_timer, layer_types

        timer = layer_timer(self._trt)
        with self.cuda.active():
            context = self._new_context()  # a second context on the same buffers, so the first keeps no profiler
            self._bind(context)
            context.profiler = timer  # enqueue_emits_profile (default True): each execute reports its layers
        try:
            for i in range(WARMUP_RUNS + runs):
                timer.counting = i >= WARMUP_RUNS
                self._execute(context, batch)
        finally:
            with self.cuda.active():
                del context  # destroyed while the CUDA context is current
        kinds = layer_types(self._inspector_json())
        return layer_profile(SOURCE, runs, {(name, kinds.get(name, "?")): ms for name, ms in timer.times.items()},
                             self.name)

    def _inspector_json(self) -> str:
        inspector = self.engine.create_engine_inspector()
        return inspector.get_engine_information(self._trt.LayerInformationFormat.JSON) if inspector else ""

    def _describe_impl(self) -> dict[str, Any]:
        info = self.cuda.device_info()
        text = self._inspector_json()
        precision, per_layer = engine_precision(text)  # "unknown" for plans built without DETAILED verbosity
        device = f"GPU:{self._index} ({info['name']}, compute {info['compute_capability']})"
        if self.options.get("dla_core") is not None:
            device += f", DLA core {self.options['dla_core']}"
        return {"device": device, "precision": precision, "layer_precisions": per_layer, "cuda_layer": self.cuda.name,
                "io_dtypes": {b.name: b.dtype.name for b in self.plan.bindings},
                "profile_batch": {"min": self.plan.min_batch, "opt": self.plan.opt_batch, "max": self.plan.max_batch},
                "versions": {"tensorrt": self._trt.__version__, **self.cuda.versions()}}

    def _close_impl(self) -> None:
        self._release()

    def _release(self) -> None:
        with self.cuda.active():
            stream = getattr(self, "stream", None)
            if stream is not None:
                self.cuda.synchronize(stream)
            for device, _host in self._buffers.values():
                device.free()
            self._buffers.clear()
            self.context = self.engine = self.stream = None  # destroyed while the context is current
            if stream is not None:
                self.cuda.destroy_stream(stream)
            self._runtime = None
        self.cuda.close()


def read_records(trt: Any, engine: Any) -> list[TensorRecord]:
    """The thin adapter: the engine's I/O tensors as plain records (profile 0 for inputs)."""
    records = []
    for i in range(engine.num_io_tensors):
        name = engine.get_tensor_name(i)
        is_input = engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
        profile = None
        if is_input and engine.num_optimization_profiles > 0:
            lo, opt, hi = engine.get_tensor_profile_shape(name, 0)
            profile = (tuple(lo), tuple(opt), tuple(hi))
        records.append(TensorRecord(name, "INPUT" if is_input else "OUTPUT", engine.get_tensor_dtype(name).name,
                                    tuple(engine.get_tensor_shape(name)), profile))
    return records


def _infos(records: list[TensorRecord]) -> tuple[list[TensorInfo], list[TensorInfo]]:
    def info(r: TensorRecord) -> TensorInfo:
        return TensorInfo(r.name, tuple(None if d == -1 else d for d in r.shape), TRT_TO_NUMPY.get(r.dtype, r.dtype))

    return [info(r) for r in records if r.mode == "INPUT"], [info(r) for r in records if r.mode == "OUTPUT"]


def capturing_logger(trt: Any) -> Any:
    """A trt.ILogger that keeps warnings and errors (to explain a failed load in one line)."""

    class CapturingLogger(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.messages: list[str] = []

        def log(self, severity: Any, msg: str) -> None:  # called from C++: must not raise
            try:
                if severity in (trt.Logger.INTERNAL_ERROR, trt.Logger.ERROR, trt.Logger.WARNING):
                    self.messages.append(str(msg))
            except Exception:
                pass

    return CapturingLogger()
