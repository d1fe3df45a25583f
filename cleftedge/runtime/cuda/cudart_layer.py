"""The CUDA interface on cuda-python's runtime bindings (`from cuda.bindings import runtime as
cudart`; `from cuda import cudart` fails on 13.x). Every call returns (err, ...); some releases
(12.6) raise RuntimeError instead when the driver library cannot be loaded. The runtime API binds the
device's primary context to a thread with cudaSetDevice, so that is the "push".

Not run on a GPU in this round (no GPU here): written to cuda-python's API as NVIDIA's TensorRT
samples (10.14+) use it; `pytest -m gpu` runs it on a CUDA GPU, tests/conformance checks its names.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require
from cleftedge.runtime.cuda.base import CudaLayer, DeviceBuffer


class CudaRuntimeLayer(CudaLayer):
    """The CUDA calls on cuda-python's runtime bindings (cuda.bindings.runtime)."""

    name = "cuda-python"

    def __init__(self, device: int = 0) -> None:
        super().__init__(device)
        self.cudart = require("cuda.bindings.runtime", "tensorrt", "cuda-python")
        self._pinned: list[int] = []
        self.push()

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        """fn(*args) -> its value; a CUDA error (returned or raised) is one line naming the call."""
        try:
            result = fn(*args)
        except RuntimeError as exc:  # e.g. "Failed to dlopen libcuda.so.1" on cuda-python 12.x
            raise self._error(what, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        err, rest = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
        if err != self.cudart.cudaError_t.cudaSuccess:
            name = self.cudart.cudaGetErrorName(err)[1]
            raise self._error(what, name.decode() if isinstance(name, bytes) else str(name))
        return rest[0] if len(rest) == 1 else (rest or None)

    @staticmethod
    def _error(what: str, why: str) -> CleftEdgeError:
        return CleftEdgeError(f"CUDA call {what} failed ({why})", "a working NVIDIA GPU and driver",
                              "check nvidia-smi / tegrastats and the CUDA installation")

    def push(self) -> None:
        """Bind the device's primary context to this thread (cudaSetDevice)."""
        self._call("cudaSetDevice", self.cudart.cudaSetDevice, self.device)

    def pop(self) -> None:
        """Nothing to undo: the runtime API keeps the primary context current for this thread."""
        pass  # the runtime API keeps the primary context current for this thread; nothing to undo

    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        """`nbytes` of device memory (cudaMalloc), freed by the buffer's free()."""
        ptr = self._call("cudaMalloc", self.cudart.cudaMalloc, max(1, nbytes))
        return DeviceBuffer(int(ptr), nbytes, free=lambda: self._call("cudaFree", self.cudart.cudaFree, ptr))

    def alloc_pinned(self, count: int, dtype: np.dtype) -> np.ndarray:
        """A 1-D page-locked host array of `count` elements (cudaMallocHost), freed by close()."""
        dtype = np.dtype(dtype)
        count = max(1, count)
        ptr = self._call("cudaMallocHost", self.cudart.cudaMallocHost, count * dtype.itemsize)
        self._pinned.append(int(ptr))
        raw = (ctypes.c_byte * (count * dtype.itemsize)).from_address(int(ptr))
        return np.frombuffer(memoryview(raw), dtype=dtype, count=count)  # the same memory, no copy

    def htod_async(self, dst: DeviceBuffer, src: np.ndarray, stream: Any) -> None:
        """Queue a host-to-device copy of `src` on `stream`."""
        kind = self.cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._call("cudaMemcpyAsync", self.cudart.cudaMemcpyAsync, dst.ptr, src.ctypes.data, src.nbytes, kind, stream)

    def dtoh_async(self, dst: np.ndarray, src: DeviceBuffer, stream: Any) -> None:
        """Queue a device-to-host copy into `dst` on `stream`."""
        kind = self.cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._call("cudaMemcpyAsync", self.cudart.cudaMemcpyAsync, dst.ctypes.data, src.ptr, dst.nbytes, kind, stream)

    def create_stream(self) -> Any:
        """A new cudaStream_t (a cuda-python handle)."""
        return self._call("cudaStreamCreate", self.cudart.cudaStreamCreate)

    def stream_handle(self, stream: Any) -> int:
        """The stream's address as an int, what execute_async_v3 takes."""
        return int(stream)  # cuda-python handle types give their address through __int__

    def synchronize(self, stream: Any) -> None:
        """Wait until everything queued on `stream` has run."""
        self._call("cudaStreamSynchronize", self.cudart.cudaStreamSynchronize, stream)

    def destroy_stream(self, stream: Any) -> None:
        """Destroy a stream from create_stream."""
        self._call("cudaStreamDestroy", self.cudart.cudaStreamDestroy, stream)

    def device_info(self) -> dict[str, Any]:
        """The device's name and compute capability ("8.7")."""
        prop = self._call("cudaGetDeviceProperties", self.cudart.cudaGetDeviceProperties, self.device)
        name = prop.name.decode(errors="replace").rstrip("\0") if isinstance(prop.name, bytes) else str(prop.name)
        return {"name": name, "compute_capability": f"{prop.major}.{prop.minor}"}

    def versions(self) -> dict[str, str]:
        """The CUDA driver and runtime versions as cuda-python reports them."""
        driver = self._call("cudaDriverGetVersion", self.cudart.cudaDriverGetVersion)
        runtime = self._call("cudaRuntimeGetVersion", self.cudart.cudaRuntimeGetVersion)
        return {"cuda_driver": str(driver), "cuda_runtime": str(runtime)}

    def close(self) -> None:
        """Free the pinned host memory this layer allocated."""
        while self._pinned:
            self._call("cudaFreeHost", self.cudart.cudaFreeHost, self._pinned.pop())
