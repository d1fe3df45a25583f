"""onnxruntime on CPU (CPUExecutionProvider): the FP32 reference and the plain-CPU cart backend."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require
from cleftedge.runtime.backends.base import Backend, TensorInfo
from cleftedge.runtime.model_record import METADATA_KEY
from cleftedge.runtime.model_spec import read_onnx_op_types, resolve_spec
from cleftedge.spec import ModelSpec

# onnxruntime's type strings -> numpy dtype names
ORT_TYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
             "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(int32)": "int32", "tensor(int64)": "int64",
             "tensor(bool)": "bool"}
QUANT_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "ConvInteger", "MatMulInteger", "QLinearMatMul"}
# Recipes whose Q/DQ ONNX is made for another engine: onnxruntime runs it as a proxy, computing each
# Q/DQ pair as written (float) rather than fusing it into this CPU's int8 kernels. Those kernels take
# s8 activations through 16-bit intermediate sums on CPUs without VNNI and saturate (measured: 173 of
# 600 decisions flipped on PaddleOCR's text-line classifier, 20 with the pairs as written); the
# engine the file is made for (TensorRT) accumulates in int32.
PROXY_RECIPES = {"tensorrt"}


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    # threads: intra-op threads (None: onnxruntime's default, one per core)
    OPTIONS = {"threads": int}

    def _load_impl(self, spec: ModelSpec | str | os.PathLike | None) -> ModelSpec:
        if self.device.upper() != "CPU":
            raise CleftEdgeError(f"device '{self.device}' for the onnxruntime backend", "CPU",
                                 "use --backend openvino (GPU, NPU) or tensorrt (NVIDIA GPU) for other devices")
        self._ort = ort = require("onnxruntime", "onnxruntime")
        opts = ort.SessionOptions()
        threads = self.options.get("threads")
        if threads is not None:
            if threads < 1:
                raise CleftEdgeError(f"threads={threads}", "1 or more", "pass a positive thread count")
            opts.intra_op_num_threads = threads
        self.session = self._open(opts)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.qdq = "fused"
        if proxy_recipe(meta):
            opts.add_session_config_entry("session.disable_quant_qdq", "1")
            self.session, self.qdq = self._open(opts), "as written (proxy for " + proxy_recipe(meta) + ")"
        return resolve_spec(self.model_path, spec, embedded=meta)

    def _open(self, opts):
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
        x = batch if self.input_info.dtype == "float32" else batch.astype(self.input_info.dtype)
        names = [t.name for t in self.outputs]
        results = self.session.run(names, {self.input_info.name: x})
        return dict(zip(names, results, strict=True))

    def _describe_impl(self) -> dict[str, Any]:
        ops = read_onnx_op_types(self.model_path)
        if ops & QUANT_OPS:
            precision = "int8"
        else:
            precision = "fp16" if self.input_info.dtype == "float16" else "fp32"
        return {"precision": precision, "providers": self.session.get_providers(), "qdq": self.qdq,
                "threads": self.options.get("threads"), "versions": {"onnxruntime": self._ort.__version__}}

    def _close_impl(self) -> None:
        self.session = None


def proxy_recipe(meta: dict) -> str | None:
    """The recipe named by the model's calibration record when onnxruntime only stands in for its
    engine (PROXY_RECIPES), else None."""
    try:
        target = json.loads(meta.get(METADATA_KEY, "{}")).get("target")
    except (ValueError, AttributeError):
        return None
    return target if target in PROXY_RECIPES else None


def _info(arg: Any) -> TensorInfo:
    shape = tuple(d if isinstance(d, int) and d > 0 else None for d in (arg.shape or ()))
    return TensorInfo(arg.name, shape, ORT_TYPES.get(arg.type, arg.type))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
