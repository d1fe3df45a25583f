"""A CUDA layer on host memory, for running the TensorRT backend's buffer handling on machines
without a GPU: "device" buffers are numpy arrays at real addresses (what set_tensor_address gets),
copies are memmoves, and every call is recorded with the thread that made it."""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import numpy as np

from cleftedge.runtime.cuda.base import CudaLayer, DeviceBuffer


class HostCudaLayer(CudaLayer):
    name = "host"

    def __init__(self, device: int = 0):
        super().__init__(device)
        self.log: list[tuple[str, int]] = []  # (call, thread id)
        self.live: dict[int, np.ndarray] = {}  # address -> allocation not yet freed
        self.streams: set[int] = set()

    def _note(self, what: str) -> None:
        self.log.append((what, threading.get_ident()))

    def push(self) -> None:
        self._note("push")

    def pop(self) -> None:
        self._note("pop")

    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        mem = np.zeros(max(1, nbytes), np.uint8)
        ptr = mem.ctypes.data
        self.live[ptr] = mem
        self._note("alloc_device")
        return DeviceBuffer(ptr, nbytes, owner=mem, free=lambda: self.live.pop(ptr))

    def alloc_pinned(self, count: int, dtype: np.dtype) -> np.ndarray:
        return np.zeros(max(1, count), np.dtype(dtype))

    def htod_async(self, dst: DeviceBuffer, src: np.ndarray, stream: Any) -> None:
        assert stream in self.streams and src.flags.c_contiguous
        ctypes.memmove(dst.ptr, src.ctypes.data, src.nbytes)
        self._note("htod")

    def dtoh_async(self, dst: np.ndarray, src: DeviceBuffer, stream: Any) -> None:
        assert stream in self.streams and dst.flags.c_contiguous
        ctypes.memmove(dst.ctypes.data, src.ptr, dst.nbytes)
        self._note("dtoh")

    def create_stream(self) -> Any:
        handle = 0x1000 + len(self.log)
        self.streams.add(handle)
        self._note("create_stream")
        return handle

    def stream_handle(self, stream: Any) -> int:
        return int(stream)

    def synchronize(self, stream: Any) -> None:
        self._note("synchronize")

    def destroy_stream(self, stream: Any) -> None:
        self.streams.remove(stream)
        self._note("destroy_stream")

    def device_info(self) -> dict[str, Any]:
        return {"name": "host memory", "compute_capability": "8.7"}

    def close(self) -> None:
        self._note("close")


def host_array(ptr: int, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
    """The memory at a device address of HostCudaLayer as an array (what an engine reads/writes)."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    raw = (ctypes.c_byte * (count * dtype.itemsize)).from_address(ptr)
    return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)
