"""onnxruntime on CPU (CPUExecutionProvider): the FP32 reference and the plain-CPU cart backend."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require
from cleftedge.runtime.backends.base import Backend, TensorInfo
from cleftedge.runtime.backends.perf import LayerProfile, RunClock, ThroughputRun, run_threads
from cleftedge.runtime.model_record import METADATA_KEY
from cleftedge.runtime.model_spec import read_onnx_op_types, resolve_spec
from cleftedge.spec import ModelSpec
from cleftedge.targets import TARGETS

# onnxruntime's type strings -> numpy dtype names
ORT_TYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
             "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(int32)": "int32", "tensor(int64)": "int64",
             "tensor(bool)": "bool"}
QUANT_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "ConvInteger", "MatMulInteger", "QLinearMatMul"}
# Recipes whose Q/DQ ONNX is made for another engine (a `proxy` row of the target table): onnxruntime
# runs it as a proxy, computing each Q/DQ pair as written (float) rather than fusing it into this
# CPU's int8 kernels. Those kernels take s8 activations through 16-bit intermediate sums on CPUs
# without VNNI and saturate (measured: 173 of 600 decisions flipped on PaddleOCR's text-line
# classifier, 20 with the pairs as written); the engine the file is made for (TensorRT) accumulates
# in int32.


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    # threads: intra-op threads (None: onnxruntime's default, one per core); streams: requests a
    # throughput run keeps in flight, each on its own Python thread through one extra session with
    # `threads` (default 1) intra-op threads (None: one per core)
    OPTIONS = {"threads": int, "streams": int}

    def _load_impl(self, spec: ModelSpec | str | os.PathLike | None) -> ModelSpec:
        if self.device.upper() != "CPU":
            raise CleftEdgeError(f"device '{self.device}' for the onnxruntime backend", "CPU",
                                 "use --backend openvino (GPU, NPU) or tensorrt (NVIDIA GPU) for other devices")
        self._ort = require("onnxruntime", "onnxruntime")
        for key in ("threads", "streams"):
            value = self.options.get(key)
            if value is not None and value < 1:
                raise CleftEdgeError(f"{key}={value}", "1 or more", f"pass a positive {key} count")
        self._throughput_session: Any = None  # made by the first throughput run
        self._config: dict[str, str] = {}  # session config entries every session of this model gets
        self.session = self._session(self.options.get("threads"))
        meta = self.session.get_modelmeta().custom_metadata_map
        self.qdq = "fused"
        recipe = proxy_recipe(meta)
        if recipe:
            self._config = {"session.disable_quant_qdq": "1"}
            self.session, self.qdq = self._session(self.options.get("threads")), f"as written (proxy for {recipe})"
        return resolve_spec(self.model_path, spec, embedded=meta)

    def _session(self, threads: int | None, **settings: Any) -> Any:
        """An InferenceSession on the CPU; `settings` are SessionOptions attributes (enable_profiling, ...)."""
        opts = self._ort.SessionOptions()
        if threads is not None:
            opts.intra_op_num_threads = threads
        for key, value in settings.items():
            setattr(opts, key, value)
        for key, value in self._config.items():
            opts.add_session_config_entry(key, value)
        try:
            return self._ort.InferenceSession(str(self.model_path), sess_options=opts,
                                              providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types (InvalidProtobuf, Fail, ...)
            raise CleftEdgeError(f"onnxruntime cannot load {self.model_path.name} ({_first_line(exc)})",
                                 "a valid ONNX model",
                                 "check the file, or re-export it with 'cleftedge export'") from None

    def _io_impl(self) -> tuple[list[TensorInfo], list[TensorInfo]]:
        return ([_info(a) for a in self.session.get_inputs()], [_info(a) for a in self.session.get_outputs()])

    def _infer_impl(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        return self._run(self.session, batch)

    def _run(self, session: Any, batch: np.ndarray) -> dict[str, np.ndarray]:
        x = batch if self.input_info.dtype == "float32" else batch.astype(self.input_info.dtype)
        names = [t.name for t in self.outputs]
        results = session.run(names, {self.input_info.name: x})
        return dict(zip(names, results, strict=True))

    def streams(self) -> int:
        """Requests a throughput run keeps in flight: the `streams` option, else one per core."""
        return int(self.options.get("streams") or os.cpu_count() or 1)

    def _throughput_impl(self, batch: np.ndarray, clock: RunClock) -> ThroughputRun:
        # Session.run releases the GIL and is safe to call from several threads at once; a session
        # of its own with few intra-op threads keeps the streams from contending for one pool.
        if self._throughput_session is None:
            self._throughput_session = self._session(self.options.get("threads") or 1, inter_op_num_threads=1)
        return run_threads(lambda: self._run(self._throughput_session, batch), clock, self.streams(),
                           batch.shape[0])

    def _profile_layers_impl(self, batch: np.ndarray, runs: int) -> LayerProfile:
        from cleftedge.runtime.backends.onnxruntime_profile import profile_session

        return profile_session(lambda **settings: self._session(self.options.get("threads"), **settings),
                               lambda session: self._run(session, batch), runs)

    def _describe_impl(self) -> dict[str, Any]:
        ops = read_onnx_op_types(self.model_path)
        if ops & QUANT_OPS:
            precision = "int8"
        else:
            precision = "fp16" if self.input_info.dtype == "float16" else "fp32"
        return {"precision": precision, "providers": self.session.get_providers(), "qdq": self.qdq,
                "threads": self.options.get("threads"), "streams": self.streams(),
                "versions": {"onnxruntime": self._ort.__version__}}

    def _close_impl(self) -> None:
        self.session = self._throughput_session = None


def proxy_recipe(meta: dict) -> str | None:
    """The recipe named by the model's calibration record when onnxruntime only stands in for its
    engine (a `proxy` row of the target table), else None."""
    try:
        record = json.loads(meta.get(METADATA_KEY, "{}"))
        target = record.get("target") or record.get("recipe")  # a record made by hand may name only one
    except (ValueError, AttributeError):
        return None
    return target if target in TARGETS and TARGETS[target].proxy else None


def _info(arg: Any) -> TensorInfo:
    shape = tuple(d if isinstance(d, int) and d > 0 else None for d in (arg.shape or ()))
    return TensorInfo(arg.name, shape, ORT_TYPES.get(arg.type, arg.type))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
