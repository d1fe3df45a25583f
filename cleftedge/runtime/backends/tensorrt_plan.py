"""Everything about running a TensorRT plan that needs no GPU, as plain functions on plain data:
I/O tensor records (read from the engine by a thin adapter in tensorrt_backend.py), dtype mapping,
the binding plan (buffers sized for the profile's largest batch), the input shape for a batch,
the CUDA device name, the options a bundle's manifest implies, and the one-line errors for a
missing TensorRT and for a plan TensorRT will not load."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.spec import ModelSpec

# TensorRT DataType names -> numpy. BF16, FP8, INT4, FP4 and E8M0 have no numpy type and are not
# accepted as engine I/O (the builder keeps I/O in float32/float16/int8).
TRT_TO_NUMPY = {"FLOAT": "float32", "HALF": "float16", "INT8": "int8", "INT32": "int32", "INT64": "int64",
                "BOOL": "bool", "UINT8": "uint8"}


@dataclass(frozen=True)
class TensorRecord:
    """One I/O tensor as the engine reports it. -1 marks a dynamic dimension; `profile` is
    (min, opt, max) of optimisation profile 0 for inputs, None for outputs."""

    name: str
    mode: str  # "INPUT" or "OUTPUT" (TensorIOMode names)
    dtype: str  # TensorRT DataType name
    shape: tuple[int, ...]
    profile: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None


@dataclass(frozen=True)
class Binding:
    name: str
    is_input: bool
    dtype: np.dtype
    max_shape: tuple[int, ...]  # what its buffers are sized for
    batch_dynamic: bool  # dimension 0 follows the batch

    @property
    def max_count(self) -> int:
        """Elements in the largest tensor the binding holds."""
        return math.prod(self.max_shape)

    @property
    def nbytes(self) -> int:
        """Bytes its buffers need (the largest tensor)."""
        return self.max_count * self.dtype.itemsize

    def shape_for(self, batch: int) -> tuple[int, ...]:
        """The tensor's shape for a batch of `batch` frames (the fixed shape when dimension 0 is not the batch)."""
        return (batch, *self.max_shape[1:]) if self.batch_dynamic else self.max_shape


@dataclass(frozen=True)
class BindingPlan:
    input: Binding
    outputs: tuple[Binding, ...]
    min_batch: int
    opt_batch: int
    max_batch: int

    @property
    def bindings(self) -> tuple[Binding, ...]:
        """The input, then every output."""
        return (self.input, *self.outputs)

    def input_shape(self, batch: int) -> tuple[int, ...]:
        """The shape to give set_input_shape for `batch` rows, checked against the profile."""
        if not self.min_batch <= batch <= self.max_batch:
            raise CleftEdgeError(f"a batch of {batch} frames",
                                 f"{self.min_batch} to {self.max_batch} as the plan's optimisation profile allows",
                                 "rebuild the plan with a larger profile, or send smaller batches")
        return self.input.shape_for(batch)


def numpy_dtype(trt_dtype: str, tensor: str = "tensor") -> np.dtype:
    """The numpy dtype of a TensorRT DataType name ("HALF" or "DataType.HALF"); one-line CleftEdgeError naming
    `tensor` for a type the runtime does not handle."""
    name = trt_dtype.rsplit(".", 1)[-1].upper()  # accepts "DataType.HALF" as str() gives it
    if name not in TRT_TO_NUMPY:
        raise CleftEdgeError(f"plan I/O tensor '{tensor}' has TensorRT type {name}",
                             "float32, float16, int8, int32, int64, uint8 or bool I/O",
                             "rebuild the plan with float32 (or float16) inputs and outputs")
    return np.dtype(TRT_TO_NUMPY[name])


def make_plan(records: list[TensorRecord], spec: ModelSpec) -> BindingPlan:
    """Buffers and batch limits for the spec's input and all outputs of the engine."""
    inputs = [r for r in records if r.mode == "INPUT"]
    by_name = {r.name: r for r in inputs}
    rec = by_name.get(spec.input.name)
    if rec is None or len(inputs) != 1:
        raise CleftEdgeError(f"the plan's inputs are {[r.name for r in inputs]}", f"one input, '{spec.input.name}'",
                             "pass the spec of the ONNX model the plan was built from (--spec)")
    lo, opt, hi = _batch_range(rec)
    chw = spec.input.shape
    max_in = (hi, *chw)
    for dim, (have, want) in enumerate(zip(rec.shape[1:], chw, strict=False), start=1):
        if have not in (-1, want):
            raise CleftEdgeError(f"plan input '{rec.name}' has shape {rec.shape}",
                                 f"(N, {chw[0]}, {chw[1]}, {chw[2]}) as the spec says (dimension {dim})",
                                 "pass the matching --spec, or rebuild the plan from the right model")
        if have == -1 and rec.profile and not rec.profile[0][dim] <= want <= rec.profile[2][dim]:
            raise CleftEdgeError(f"plan input '{rec.name}' allows {rec.profile[0][dim]}..{rec.profile[2][dim]} "
                                 f"in dimension {dim}", f"{want} as the spec says", "rebuild the plan")
    binding_in = Binding(rec.name, True, numpy_dtype(rec.dtype, rec.name), max_in, rec.shape[0] == -1)
    outputs = tuple(_output_binding(r, hi) for r in records if r.mode == "OUTPUT")
    return BindingPlan(binding_in, outputs, lo, opt, hi)


def _batch_range(rec: TensorRecord) -> tuple[int, int, int]:
    if len(rec.shape) != 4:
        raise CleftEdgeError(f"plan input '{rec.name}' has shape {rec.shape}", "a rank-4 NCHW input",
                             "rebuild the plan from an NCHW image model")
    if rec.shape[0] != -1:
        return rec.shape[0], rec.shape[0], rec.shape[0]
    if rec.profile is None:
        raise CleftEdgeError(f"plan input '{rec.name}' has a dynamic batch but no optimisation profile",
                             "a profile with min/opt/max shapes", "rebuild the plan with a profile")
    lo, opt, hi = (p[0] for p in rec.profile)
    return lo, opt, hi


def _output_binding(rec: TensorRecord, max_batch: int) -> Binding:
    if any(d == -1 for d in rec.shape[1:]) or not rec.shape:
        raise CleftEdgeError(f"plan output '{rec.name}' has shape {rec.shape}",
                             "outputs whose only dynamic dimension is the batch",
                             "rebuild the plan from a model with fixed output sizes")
    dynamic = rec.shape[0] == -1
    shape = (max_batch, *rec.shape[1:]) if dynamic else rec.shape
    return Binding(rec.name, False, numpy_dtype(rec.dtype, rec.name), tuple(shape), dynamic)


# --- values in and out of the engine's own I/O types ----------------------------------------

def to_engine(batch: np.ndarray, dtype: np.dtype, scale: float | None, name: str) -> np.ndarray:
    """float32 batch -> the input's dtype; int8 I/O needs the input's quantization scale."""
    if dtype == np.float32:
        return batch
    if dtype == np.float16:
        return batch.astype(np.float16)
    if dtype == np.int8:
        if not scale:
            raise CleftEdgeError(f"plan input '{name}' is int8", "its quantization scale",
                                 "pass input_scale=<scale> (from the Q/DQ model), or rebuild with float32 input")
        return np.clip(np.rint(batch / scale), -128, 127).astype(np.int8)
    raise CleftEdgeError(f"plan input '{name}' has dtype {dtype}", "float32, float16 or int8",
                         "rebuild the plan with a float32 input")


def from_engine(values: np.ndarray, scale: float | None) -> np.ndarray:
    """An output in the engine's dtype -> float32 (int8 outputs are dequantized with `scale`)."""
    if values.dtype == np.int8 and scale:
        return values.astype(np.float32) * np.float32(scale)
    return values.astype(np.float32) if values.dtype in (np.float16, np.int8) else values


# --- devices and load errors -----------------------------------------------------------------

def gpu_index(device: str) -> int:
    """"GPU", "CUDA", "GPU:1", "GPU.1", "cuda:1" -> the CUDA device index; the generic default
    "CPU" means GPU 0 too (TensorRT only runs on the GPU, and callers pass --device CPU by default)."""
    d = device.strip().upper()
    if d in ("CPU", "GPU", "CUDA"):
        return 0
    m = re.fullmatch(r"(?:GPU|CUDA)[:.](\d+)", d)
    if not m:
        raise CleftEdgeError(f"device '{device}' for the tensorrt backend", "GPU, GPU:N or cuda:N",
                             "pass --device GPU (TensorRT runs on the NVIDIA GPU)")
    return int(m.group(1))


def plan_load_error(plan: str, log: list[str], trt_version: str, gpu: str) -> CleftEdgeError:
    """One line for deserialize_cuda_engine returning None, from what TensorRT logged."""
    text = " ".join(log)
    fix = f"rebuild the plan on this device (TensorRT {trt_version}, {gpu}) with 'cleftedge build'"
    if re.search(r"host code|lean runtime", text, re.I):
        return CleftEdgeError(f"{plan} embeds a TensorRT runtime (version-compatible plan) but host code is off",
                              "allow_host_code=True for a trusted plan", "open it with allow_host_code=True")
    if re.search(r"incompatible device|compute capability|expecting compute", text, re.I):
        found = re.search(r"expecting compute ([\d.]+) got compute ([\d.]+)", text)
        detail = f" (plan for compute {found.group(2)}, this GPU is {found.group(1)})" if found else ""
        return CleftEdgeError(f"{plan} was built for another GPU{detail}", f"a plan built for {gpu}", fix)
    if re.search(r"version|serialization", text, re.I):
        found = re.search(r"expecting library version ([\w.]+) got ([\w.]*)", text)
        detail = f" ({found.group(2) or 'unknown'})" if found else ""
        return CleftEdgeError(f"{plan} was built by another TensorRT version{detail}",
                              f"a plan built by TensorRT {trt_version}", fix)
    last = log[-1].strip() if log else "no message from TensorRT"
    return CleftEdgeError(f"TensorRT could not load {plan} ({last[:200]})",
                          f"a plan built by TensorRT {trt_version} for {gpu}",
                          "the plan was built by another TensorRT version or GPU, or is damaged: " + fix)


# --- TensorRT itself and what a bundle asks of it ----------------------------------------------

TENSORRT_ANY = "TensorRT 10.3+ (JetPack 6.1+) or 11.x (JetPack 7)"


def import_tensorrt(expected: str = TENSORRT_ANY) -> Any:
    """`import tensorrt`, or the one line (the same for build, bench and run) that says where
    TensorRT comes from: JetPack, not pip. `expected` names the versions wanted (a profile's range)."""
    try:
        import tensorrt
    except ImportError as exc:
        raise CleftEdgeError(f"TensorRT is not importable here ({exc})", expected,
                             "TensorRT comes with JetPack, not from pip: run on the Jetson itself (or on the same "
                             "TensorRT version and GPU) with JetPack's python3, in a venv made with "
                             "--system-site-packages; pip install 'cleftedge[tensorrt]' adds the CUDA layer") from None
    return tensorrt


def manifest_options(manifest: dict) -> dict[str, Any]:
    """Backend options a bundle's manifest implies: the DLA core the plan was built for (a DLA plan
    is deserialized onto the runtime's DLA_core, as trtexec --useDLACore does)."""
    core = (manifest.get("build_settings") or {}).get("dla_core")
    return {"dla_core": int(core)} if core is not None else {}
