"""The fake TensorRT the builder and backend tests run against is only as good as its fidelity: it
must refuse what the version it stands for does not bind, as the real module would."""

import pytest
from fake_tensorrt import FakeTensorRT


def test_the_fake_refuses_names_its_version_lacks():
    assert FakeTensorRT("10.3").BuilderFlag.INT8.name == "INT8"
    with pytest.raises(AttributeError, match=r"tensorrt.BuilderFlag' \(11.1\) has no attribute 'INT8'"):
        _ = FakeTensorRT("11.1").BuilderFlag.INT8
    with pytest.raises(AttributeError, match="has no attribute 'SAME_COMPUTE_CAPABILITY'"):
        _ = FakeTensorRT("10.7").HardwareCompatibilityLevel.SAME_COMPUTE_CAPABILITY
    with pytest.raises(AttributeError, match="module 'tensorrt' .* has no attribute 'IInt8EntropyCalibrator2'"):
        _ = FakeTensorRT("11.4").IInt8EntropyCalibrator2
    config = FakeTensorRT("11.1").make("IBuilderConfig")
    with pytest.raises(AttributeError, match=r"int8_calibrator \(11.1\) is not an attribute"):
        config.int8_calibrator = None


def test_the_fake_refuses_read_only_sets_and_wrong_calls():
    trt = FakeTensorRT("10.16")
    engine = trt.make("ICudaEngine")
    with pytest.raises(AttributeError, match="num_io_tensors .* is readonly"):
        engine.num_io_tensors = 2
    with pytest.raises(TypeError, match="incompatible constructor arguments"):
        trt.Runtime()  # Runtime(logger)
    config = trt.make("IBuilderConfig")
    with pytest.raises(TypeError, match="set_memory_pool_limit"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE)
    config.DLA_core = 0
    assert config.DLA_core == 0 and trt.log[-1] == ("IBuilderConfig.DLA_core=", (0,), {})
