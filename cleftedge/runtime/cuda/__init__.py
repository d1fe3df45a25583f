"""The CUDA layer under the TensorRT backend: pycuda or cuda-python, chosen by option
(`cuda="pycuda"|"cuda-python"|"auto"`); "auto" takes pycuda when it imports, else cuda-python."""

from __future__ import annotations

import importlib
import importlib.util

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.cuda.base import CudaLayer, DeviceBuffer

LAYERS: dict[str, str] = {
    "pycuda": "cleftedge.runtime.cuda.pycuda_layer:PyCudaLayer",
    "cuda-python": "cleftedge.runtime.cuda.cudart_layer:CudaRuntimeLayer",
}
_PROBE = {"pycuda": "pycuda", "cuda-python": "cuda.bindings"}  # the package each layer imports

__all__ = ["LAYERS", "CudaLayer", "DeviceBuffer", "choose_layer", "open_cuda"]


def choose_layer(name: str | None, installed: dict[str, bool] | None = None) -> str:
    """The layer to use: the one named, or for None/"auto" the first installed of pycuda, cuda-python."""
    if name not in (None, "auto"):
        if name not in LAYERS:
            raise CleftEdgeError(f"unknown CUDA layer '{name}'", "pycuda, cuda-python or auto",
                                 "pass cuda='pycuda' or cuda='cuda-python'")
        return name
    have = installed if installed is not None else {k: _installed(m) for k, m in _PROBE.items()}
    for layer in LAYERS:
        if have.get(layer):
            return layer
    raise CleftEdgeError("neither pycuda nor cuda-python is installed", "a CUDA layer for the TensorRT backend",
                         "install it with: pip install 'cleftedge[tensorrt]' (pycuda) or pip install cuda-python")


def open_cuda(name: str | None = None, device: int = 0) -> CudaLayer:
    module, cls = LAYERS[choose_layer(name)].split(":")
    return getattr(importlib.import_module(module), cls)(device)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
