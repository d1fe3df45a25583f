"""The few CUDA calls the TensorRT backend needs, behind one small interface, so that pycuda (what
the users named) and cuda-python (what NVIDIA's own samples use since TensorRT 10.14) both serve.

Not run on a GPU in this round (the development machines have none): written to each library's
API, and every name checked against its sources or wheel by tests/conformance.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np


class DeviceBuffer:
    """Device memory: `ptr` is the address TensorRT gets through set_tensor_address."""

    def __init__(self, ptr: int, nbytes: int, owner: Any = None, free: Any = None):
        self.ptr = int(ptr)
        self.nbytes = nbytes
        self._owner = owner  # keeps a library object (pycuda DeviceAllocation) alive
        self._free = free

    def free(self) -> None:
        """Free the device memory now (once; later calls do nothing)."""
        if self._free is not None:
            self._free()
            self._free = None
        self._owner = None


class CudaLayer:
    """One device, its primary context, page-locked host memory, device memory, one kind of stream."""

    name = "base"

    def __init__(self, device: int = 0):
        self.device = device

    # --- context: push in the thread that runs inference, pop after ---------------
    def push(self) -> None:
        """Make this layer's context current in the calling thread."""
        raise NotImplementedError

    def pop(self) -> None:
        """Undo push() in the calling thread."""
        raise NotImplementedError

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """The context current for the length of a `with` block (push, then pop)."""
        self.push()
        try:
            yield
        finally:
            self.pop()

    # --- memory ------------------------------------------------------------------
    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        """`nbytes` of device memory, freed by the buffer's free()."""
        raise NotImplementedError

    def alloc_pinned(self, count: int, dtype: np.dtype) -> np.ndarray:
        """A 1-D page-locked host array of `count` elements (needed for truly async copies)."""
        raise NotImplementedError

    def htod_async(self, dst: DeviceBuffer, src: np.ndarray, stream: Any) -> None:
        """Queue a copy of host array `src` into `dst` on `stream`."""
        raise NotImplementedError

    def dtoh_async(self, dst: np.ndarray, src: DeviceBuffer, stream: Any) -> None:
        """Queue a copy of `src` into host array `dst` on `stream`."""
        raise NotImplementedError

    # --- streams -----------------------------------------------------------------
    def create_stream(self) -> Any:
        """A new stream of this layer's library."""
        raise NotImplementedError

    def stream_handle(self, stream: Any) -> int:
        """The cudaStream_t as an int, what execute_async_v3(stream_handle) takes."""
        raise NotImplementedError

    def synchronize(self, stream: Any) -> None:
        """Wait until everything queued on `stream` has run."""
        raise NotImplementedError

    def destroy_stream(self, stream: Any) -> None:
        """Destroy a stream from create_stream (with the context current); it is not used after."""
        raise NotImplementedError

    # --- about -------------------------------------------------------------------
    def device_info(self) -> dict[str, Any]:
        """{"name": ..., "compute_capability": "8.7"}"""
        raise NotImplementedError

    def versions(self) -> dict[str, str]:
        """Library and driver versions for the bench record (none in the base)."""
        return {}

    def close(self) -> None:
        """Free what close() of the backend did not (pinned memory, the retained context)."""
