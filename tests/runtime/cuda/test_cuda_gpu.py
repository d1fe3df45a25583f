"""The CUDA layer on a real CUDA GPU, without TensorRT: `pytest -m gpu tests/runtime/cuda` (what
scripts/gpu-check.sh runs from its wheelhouse). Allocation, page-locked host memory, async copies
both ways on a stream, stream synchronisation and destruction, memory given back; then the TensorRT
backend's binding plan on the GPU with a fake engine (a stand-in that knows only TensorRT 10.16's
names) whose "inference" reads and writes the device buffers the backend bound. Skips with the
reason where there is no CUDA GPU or no CUDA layer (the development machines have none)."""

import re
import sys

import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.cuda import DeviceBuffer, available_layers, open_cuda
from cleftedge.spec import ModelSpec

pytestmark = pytest.mark.gpu
LAYERS = [name for name, here in available_layers().items() if here]


@pytest.fixture(params=LAYERS or [pytest.param(None, marks=pytest.mark.skip(
    reason="neither cuda-python (cuda.bindings) nor pycuda is installed"))])
def layer(request):
    try:
        cuda = open_cuda(request.param, 0)
    except CleftEdgeError as exc:
        pytest.skip(f"no usable CUDA GPU here through {request.param}: {exc}")
    yield cuda
    cuda.close()


def test_the_device_says_what_it_is(layer):
    info = layer.device_info()
    assert info["name"] and re.fullmatch(r"\d+\.\d+", info["compute_capability"]), info
    versions = layer.versions()
    assert versions and all(v for v in versions.values()), versions


def test_async_copies_both_ways_on_a_stream(layer):
    n = 1 << 20  # 4 MiB of float32
    with layer.active():
        stream = layer.create_stream()
        device = layer.alloc_device(n * 4)
        src, dst = layer.alloc_pinned(n, np.float32), layer.alloc_pinned(n, np.float32)
        src[:] = np.arange(n, dtype=np.float32)
        dst[:] = -1
        layer.htod_async(device, src, stream)
        layer.dtoh_async(dst, device, stream)
        layer.synchronize(stream)
        np.testing.assert_array_equal(dst, src)
        # a part of a buffer, as the backend copies a smaller batch than the profile's largest
        layer.htod_async(device, src[:1000] * 2, stream)
        layer.dtoh_async(dst[:1000], device, stream)
        layer.synchronize(stream)
        np.testing.assert_array_equal(dst[:1000], src[:1000] * 2)
        device.free()
        layer.destroy_stream(stream)


def test_memory_is_given_back(layer):
    if layer.name != "cuda-python":
        pytest.skip("free device memory is read through cuda-python's cudaMemGetInfo")
    cudart = layer.cudart
    with layer.active():
        before = cudart.cudaMemGetInfo()[1]
        for _ in range(20):
            stream = layer.create_stream()
            buffers = [layer.alloc_device(16 << 20) for _ in range(4)]
            layer.synchronize(stream)
            for b in buffers:
                b.free()
            layer.destroy_stream(stream)
        after = cudart.cudaMemGetInfo()[1]
    assert after >= before - (8 << 20), (before, after)  # 1.28 GiB allocated and freed: no leak


def _spec() -> ModelSpec:
    return ModelSpec.from_dict({"model_name": "gpu-check", "model_version": "1",
                                "input": {"name": "image", "channels": 1, "height": 16, "width": 16,
                                          "color": "GRAY", "mean": 0.0, "std": 1.0},
                                "output": {"name": "logits", "class_names": ["normal", "cleft"]}})


def test_the_backend_binds_and_fills_device_buffers_with_a_fake_engine(monkeypatch, tmp_path, layer):
    """TensorRT's place is taken by a fake engine: its execute_async_v3 copies the bound input
    back from the GPU, computes logits = (mean, max) per frame, and writes them to the bound output on
    the GPU. The backend's buffers, addresses, copies, batch chunking and stream are the real ones."""
    from fake_tensorrt import FakeTensorRT

    from cleftedge.runtime.backends import open_backend, tensorrt_backend

    trt = FakeTensorRT("10.16")
    bound: dict[str, int] = {}
    shapes: dict[str, tuple] = {}
    io = {"image": ("INPUT", (-1, 1, 16, 16)), "logits": ("OUTPUT", (-1, 2))}

    def execute(context, handle):
        n = shapes["image"][0]
        x = layer.alloc_pinned(n * 256, np.float32)
        y = layer.alloc_pinned(n * 2, np.float32)
        stream = state["stream"]
        layer.dtoh_async(x, DeviceBuffer(bound["image"], n * 256 * 4), stream)
        layer.synchronize(stream)
        frames = x.reshape(n, 256)
        y[:] = np.stack([frames.mean(1), frames.max(1)], 1).ravel()
        layer.htod_async(DeviceBuffer(bound["logits"], n * 8), y, stream)
        return True

    trt.behaviour.update({
        "Runtime.deserialize_cuda_engine": lambda rt, data: trt.make("ICudaEngine", num_io_tensors=2,
                                                                     num_optimization_profiles=1),
        "ICudaEngine.get_tensor_name": lambda e, i: list(io)[i],
        "ICudaEngine.get_tensor_mode": lambda e, name: getattr(trt.TensorIOMode, io[name][0]),
        "ICudaEngine.get_tensor_dtype": lambda e, name: trt.DataType.FLOAT,
        "ICudaEngine.get_tensor_shape": lambda e, name: io[name][1],
        "ICudaEngine.get_tensor_profile_shape": lambda e, name, i: ((1, 1, 16, 16), (1, 1, 16, 16), (4, 1, 16, 16)),
        "ICudaEngine.create_execution_context": lambda e: trt.make("IExecutionContext"),
        "IExecutionContext.set_tensor_address": lambda c, name, ptr: bound.__setitem__(name, int(ptr)) or True,
        "IExecutionContext.set_input_shape": lambda c, name, s: shapes.__setitem__(name, tuple(s)) or True,
        "IExecutionContext.execute_async_v3": execute,
        "IExecutionContext.get_tensor_shape": lambda c, name: (shapes["image"][0], 2),
        "EngineInspector.get_engine_information": lambda i, fmt: "",
    })
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr(tensorrt_backend, "open_cuda", lambda name, index: layer)
    plan = tmp_path / "fake.plan"
    plan.write_bytes(b"a plan only the fake engine reads")
    x = np.random.default_rng(0).normal(0, 1, (6, 1, 16, 16)).astype(np.float32)  # 6 > the profile's 4
    backend = open_backend(plan, spec=_spec(), device="GPU", cuda=layer.name)
    state = {"stream": backend.stream}
    got = backend.infer(x)["logits"]
    flat = x.reshape(6, 256)
    np.testing.assert_allclose(got, np.stack([flat.mean(1), flat.max(1)], 1), rtol=1e-6, atol=1e-6)
    assert bound["image"] != bound["logits"] and backend.describe()["cuda_layer"] == layer.name
    backend.close()  # closes the layer too (closing it again in the fixture does nothing)
