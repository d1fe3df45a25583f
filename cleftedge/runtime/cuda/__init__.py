"""The CUDA layer under the TensorRT backend: pycuda or cuda-python, chosen by option
(`cuda="pycuda"|"cuda-python"|"auto"`); "auto" takes pycuda when it imports, else cuda-python."""

from __future__ import annotations

import importlib.util

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import load
from cleftedge.runtime.cuda.base import CudaLayer, DeviceBuffer

LAYERS: dict[str, str] = {
    "pycuda": "cleftedge.runtime.cuda.pycuda_layer:PyCudaLayer",
    "cuda-python": "cleftedge.runtime.cuda.cudart_layer:CudaRuntimeLayer",
}
# The module each layer imports. cuda-python is probed as `cuda.bindings`: the top-level `cuda`
# package also comes with cuda-core or cuda-pathfinder alone, which have no runtime bindings.
PROBE = {"pycuda": "pycuda", "cuda-python": "cuda.bindings"}

# cuda-python per CUDA line: its major.minor follows the CUDA toolkit. `cuda.bindings` exists from
# cuda-python 12.6.1 (12.6.0 has only `cuda.cudart`); the separate cuda-bindings package starts at 12.8.
CUDA_PYTHON_FOR_JETPACK = {"JetPack 6 (CUDA 12.6)": "cuda-python>=12.6.1,<12.7",
                           "JetPack 7 (CUDA 13)": "cuda-python>=13,<14"}

__all__ = ["CUDA_PYTHON_FOR_JETPACK", "LAYERS", "PROBE", "CudaLayer", "DeviceBuffer", "available_layers",
           "choose_layer", "open_cuda"]


def available_layers() -> dict[str, bool]:
    """Which CUDA layers are importable here (by the module each one imports)."""
    return {layer: _installed(module) for layer, module in PROBE.items()}


def choose_layer(name: str | None, installed: dict[str, bool] | None = None) -> str:
    """The layer to use: the one named, or for None/"auto" the first installed of pycuda, cuda-python."""
    if name not in (None, "auto"):
        if name not in LAYERS:
            raise CleftEdgeError(f"unknown CUDA layer '{name}'", "pycuda, cuda-python or auto",
                                 "pass cuda='pycuda' or cuda='cuda-python'")
        return name
    have = installed if installed is not None else available_layers()
    for layer in LAYERS:
        if have.get(layer):
            return layer
    floors = "; ".join(f"pip install '{spec}' on {where}" for where, spec in CUDA_PYTHON_FOR_JETPACK.items())
    raise CleftEdgeError("neither pycuda nor cuda-python (cuda.bindings) is installed",
                         "a CUDA layer for the TensorRT backend",
                         "install pycuda with: pip install 'cleftedge[tensorrt]' (it compiles: nvcc and cuda.h on "
                         f"the PATH), or cuda-python matching the CUDA toolkit: {floors} (cuda-python 12.6.0 has no "
                         "cuda.bindings)")


def open_cuda(name: str | None = None, device: int = 0) -> CudaLayer:
    """The CUDA layer `name` (see choose_layer) on GPU `device`."""
    return load(LAYERS[choose_layer(name)], "tensorrt")(device)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that is missing or broken
        return False
