"""The CUDA interface on pycuda: the device's primary context (retain_primary_context), pushed in the
thread that runs inference; pagelocked_empty, mem_alloc, Stream, memcpy_*_async.

Not run on a GPU in this round (no GPU here; pycuda compiles against CUDA at install): written to
pycuda's API, its names checked against pycuda 2026.1's sources by tests/conformance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleftedge.lazy import require
from cleftedge.runtime.cuda.base import CudaLayer, DeviceBuffer


class PyCudaLayer(CudaLayer):
    name = "pycuda"

    def __init__(self, device: int = 0):
        super().__init__(device)
        self._pycuda = require("pycuda", "tensorrt")
        self.cuda = cuda = require("pycuda.driver", "tensorrt", "pycuda")
        cuda.init()  # no pycuda.autoinit: that would create a context of its own in the import thread
        self._device = cuda.Device(device)
        self._context = self._device.retain_primary_context()

    def push(self) -> None:
        """Push the device's primary context onto this thread's stack."""
        self._context.push()

    def pop(self) -> None:
        """Pop the current context off this thread's stack."""
        self.cuda.Context.pop()

    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        """`nbytes` of device memory (mem_alloc), freed by the buffer's free()."""
        allocation = self.cuda.mem_alloc(max(1, nbytes))
        return DeviceBuffer(int(allocation), nbytes, owner=allocation, free=allocation.free)

    def alloc_pinned(self, count: int, dtype: np.dtype) -> np.ndarray:
        """A 1-D page-locked host array of `count` elements (pagelocked_empty)."""
        return self.cuda.pagelocked_empty(max(1, count), np.dtype(dtype))

    def htod_async(self, dst: DeviceBuffer, src: np.ndarray, stream: Any) -> None:
        """Queue a host-to-device copy of `src` on `stream`."""
        self.cuda.memcpy_htod_async(dst.ptr, src, stream)

    def dtoh_async(self, dst: np.ndarray, src: DeviceBuffer, stream: Any) -> None:
        """Queue a device-to-host copy into `dst` on `stream`."""
        self.cuda.memcpy_dtoh_async(dst, src.ptr, stream)

    def create_stream(self) -> Any:
        """A new pycuda Stream."""
        return self.cuda.Stream()

    def stream_handle(self, stream: Any) -> int:
        """The Stream's cudaStream_t as an int."""
        return int(stream.handle)

    def synchronize(self, stream: Any) -> None:
        """Wait until everything queued on `stream` has run."""
        stream.synchronize()

    def destroy_stream(self, stream: Any) -> None:
        """Nothing to do: pycuda destroys a Stream with its last reference."""
        pass  # pycuda destroys a Stream when its last reference goes (the backend drops it, context current)

    def device_info(self) -> dict[str, Any]:
        """The device's name and compute capability ("8.7")."""
        major, minor = self._device.compute_capability()
        return {"name": self._device.name(), "compute_capability": f"{major}.{minor}"}

    def versions(self) -> dict[str, str]:
        """The pycuda and CUDA driver versions."""
        return {"pycuda": getattr(self._pycuda, "VERSION_TEXT", "unknown"),
                "cuda_driver": str(self.cuda.get_driver_version())}

    def close(self) -> None:
        """Release our reference to the primary context. pycuda's detach() releases only when the
        context is current in the calling thread or that thread made it; from any other thread it
        silently skips the release (the context leaks). Pushing it first makes it current here, so
        the release happens on whichever thread closes the backend (detach pops it again)."""
        context = self._context
        if context is not None:
            self._context = None
            context.push()
            context.detach()
