"""TensorRT on a real GPU (a Jetson or a CUDA workstation): `pytest -m tensorrt tests/runtime/backends`.

Builds a plan from the tiny ONNX model on this device and checks that the TensorRT backend gives
onnxruntime's scores, through each installed CUDA layer, and reports the precision its engine
inspector gives. Skips where TensorRT is not importable (the development machines have neither
TensorRT nor a GPU; not run on a GPU in this round)."""

import threading

import numpy as np
import pytest
from backends_helpers import make_onnx, make_spec, random_batch

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import open_backend
from cleftedge.runtime.cuda import available_layers

pytestmark = pytest.mark.tensorrt


def _build_plan(onnx_path, plan_path, max_batch=4):
    trt = pytest.importorskip("tensorrt", reason="TensorRT is not installed (it comes with JetPack)")
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode in 10.x and 11.x
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        pytest.fail("; ".join(str(parser.get_error(i)) for i in range(parser.num_errors)))
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 256 << 20)
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED  # as the builder sets it: per-layer types
    profile = builder.create_optimization_profile()
    profile.set_shape("image", (1, 1, 16, 16), (1, 1, 16, 16), (max_batch, 1, 16, 16))
    config.add_optimization_profile(profile)
    data = builder.build_serialized_network(network, config)
    assert data is not None, "TensorRT could not build the tiny plan"
    plan_path.write_bytes(bytes(data))
    return plan_path


def _layers():
    # the library's own probe: cuda-python is `cuda.bindings`, not any `cuda` package (cuda-core and
    # cuda-pathfinder bring one without the runtime bindings)
    found = [name for name, here in available_layers().items() if here]
    return found or ["none"]


@pytest.mark.parametrize("layer", _layers())
def test_plan_matches_onnxruntime_from_another_thread(tmp_path, layer):
    pytest.importorskip("tensorrt", reason="TensorRT is not installed (it comes with JetPack)")
    if layer == "none":
        pytest.skip("neither pycuda nor cuda-python is installed")
    spec = make_spec()
    onnx_path = make_onnx(tmp_path / "tiny.onnx", spec)
    plan = _build_plan(onnx_path, tmp_path / "tiny.plan")
    with pytest.raises(CleftEdgeError, match="bare TensorRT plan"):
        open_backend(plan)
    x = random_batch(6)  # more than the profile's 4: runs in chunks
    with open_backend(onnx_path) as ref, open_backend(plan, spec=spec, device="GPU", cuda=layer) as b:
        want = ref.infer(x)["logits"]
        got = {}
        worker = threading.Thread(target=lambda: got.update(b.infer(x)))  # context pushed in that thread
        worker.start()
        worker.join()
        d = b.describe()
    np.testing.assert_allclose(got["logits"], want, rtol=1e-3, atol=1e-3)
    assert d["backend"] == "tensorrt" and d["cuda_layer"] == layer and d["profile_batch"]["max"] == 4
    assert d["precision"] != "unknown" and d["layer_precisions"], d  # detailed verbosity: per-layer types


def test_damaged_plan_is_one_line(tmp_path):
    pytest.importorskip("tensorrt", reason="TensorRT is not installed (it comes with JetPack)")
    if _layers() == ["none"]:
        pytest.skip("neither pycuda nor cuda-python is installed")
    bad = tmp_path / "bad.plan"
    bad.write_bytes(b"not a plan" * 100)
    with pytest.raises(CleftEdgeError) as err:
        open_backend(bad, spec=make_spec())
    assert "bad.plan" in str(err.value) and "rebuild the plan on this device" in str(err.value)
