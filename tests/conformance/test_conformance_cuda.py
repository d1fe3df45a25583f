"""The CUDA layers' names. cuda-python: cuda-bindings imports without a GPU, so the installed line is
checked for real (every name the project uses, and the (err, value) convention of every call the
layer makes); the committed lists of cuda-python 12.6 (JetPack 6) and 13.0 (JetPack 7) cover both
lines whichever is installed. pycuda: its 2026.1 binding sources' names."""

import pytest
from conformance_check import problems
from conformance_libraries import CUDA_PYTHON, PYCUDA
from surface_lookup import class_members, load
from surfaces_helpers import SURFACES, project_uses

from cleftedge.errors import CleftEdgeError

cuda_surface = pytest.importorskip("cuda_surface")
runtime = pytest.importorskip("cuda.bindings.runtime", reason="cuda-bindings is not installed (the dev extra has it)")

COMMITTED = {line: load(SURFACES / f"cuda-python-{line}.json") for line in ("12.6", "13.0")}
# every call the cuda-python layer makes, with harmless arguments: (err, value...) whatever the machine
CALLS = {"cudaSetDevice": (0,), "cudaMalloc": (16,), "cudaFree": (0,), "cudaMallocHost": (16,), "cudaFreeHost": (0,),
         "cudaStreamCreate": (), "cudaStreamSynchronize": (0,), "cudaStreamDestroy": (0,),
         "cudaGetDeviceProperties": (0,), "cudaDriverGetVersion": (), "cudaRuntimeGetVersion": ()}


def installed() -> dict:
    surface = cuda_surface.runtime_surface()
    return {"kind": "cleftedge.api_surface", "library": "cuda-python", "version": surface["version"],
            "module": {"functions": {f: None for f in surface["functions"]}}, "classes": surface["classes"]}


def test_every_cuda_python_name_is_in_the_installed_line_and_in_both_committed_lines():
    uses = project_uses(CUDA_PYTHON)
    assert {u.dotted for u in uses} >= {"cudaMalloc", "cudaMemcpyAsync", "cudaStreamDestroy", "cudaError_t.cudaSuccess",
                                        "cudaMemcpyKind.cudaMemcpyHostToDevice", "cudaGetDeviceProperties"}
    surfaces = {f"installed {installed()['version']}": installed(), **{f"cuda-python {k}": v
                                                                        for k, v in COMMITTED.items()}}
    found = problems(uses, surfaces, lambda name, version: None, library="cuda.bindings.runtime")
    assert found == [], "\n".join(found)


def test_the_calls_return_an_error_code_first():
    for name in CALLS:
        assert name in {u.name for u in project_uses(CUDA_PYTHON)}, name
        result = getattr(runtime, name)(*CALLS[name])
        assert isinstance(result, tuple) and isinstance(result[0], runtime.cudaError_t), (name, result)
    err = runtime.cudaSetDevice(0)[0]
    name = runtime.cudaGetErrorName(err)
    assert name[0] == runtime.cudaError_t.cudaSuccess and name[1].decode().startswith("cuda")
    kind = runtime.cudaMemcpyKind.cudaMemcpyHostToDevice
    assert isinstance(runtime.cudaMemcpyAsync(0, 0, 0, kind, 0)[0], runtime.cudaError_t)


def test_device_properties_have_the_fields_the_layer_reads():
    for surface in (installed(), *COMMITTED.values()):
        assert {"name", "major", "minor"} <= set(class_members(surface, "cudaDeviceProp"))


def test_without_a_gpu_the_cuda_python_layer_is_one_line():
    from cleftedge.runtime.cuda.cudart_layer import CudaRuntimeLayer

    if runtime.cudaGetDeviceCount()[0] == runtime.cudaError_t.cudaSuccess:
        pytest.skip("a CUDA GPU is here: pytest -m gpu runs the layer on it")
    with pytest.raises(CleftEdgeError, match=r"CUDA call cudaSetDevice failed \(cudaError\w+\)") as err:
        CudaRuntimeLayer(0)
    assert "\n" not in str(err.value)


def test_a_raising_cuda_python_is_one_line_too():
    # cuda-python 12.x raises RuntimeError ("Failed to dlopen libcuda.so.1") where 13.x returns an error code
    from cleftedge.runtime.cuda.cudart_layer import CudaRuntimeLayer

    layer = CudaRuntimeLayer.__new__(CudaRuntimeLayer)
    layer.cudart = runtime

    def dlopen_fails(*args):
        raise RuntimeError("Failed to dlopen libcuda.so.1\nmore detail")

    with pytest.raises(CleftEdgeError, match=r"CUDA call cudaMalloc failed \(Failed to dlopen libcuda.so.1\)"):
        layer._call("cudaMalloc", dlopen_fails, 16)


def test_every_pycuda_name_is_in_pycuda_2026_1():
    uses = project_uses(PYCUDA)
    assert {u.dotted for u in uses} >= {"init", "Device", "Device.retain_primary_context", "Context.push",
                                        "Context.pop", "Context.detach", "mem_alloc", "DeviceAllocation.free",
                                        "pagelocked_empty", "memcpy_htod_async", "memcpy_dtoh_async", "Stream",
                                        "Stream.handle", "Stream.synchronize", "get_driver_version", "VERSION_TEXT"}
    surface = load(SURFACES / "pycuda-2026.1.json")
    assert surface["source"]["ref"] == "v2026.1" and len(surface["source"]["commit"]) == 40
    found = problems(uses, {"pycuda 2026.1": surface}, lambda name, version: None, library="pycuda")
    assert found == [], "\n".join(found)
