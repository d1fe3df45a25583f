"""OpenVINO builder: every Convolution/MatMul fed by a FakeQuantize must run in i8/u8 on the device."""

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.openvino import build_openvino, fed_by_fake_quantize, low_precision_offenders


def conv_after_fake_quantize(levels: int) -> ov.Model:
    """x -> FakeQuantize(levels) -> Convolution with FakeQuantize'd weights."""
    x = ops.parameter([1, 3, 16, 16], ov.Type.f32, name="x")
    lo, hi = ops.constant(np.float32(0)), ops.constant(np.float32(1))
    w = np.random.default_rng(0).normal(size=(4, 3, 3, 3)).astype(np.float32)
    wl, wh = ops.constant(np.float32(-3)), ops.constant(np.float32(3))
    conv = ops.convolution(ops.fake_quantize(x, lo, hi, lo, hi, levels),
                           ops.fake_quantize(ops.constant(w), wl, wh, wl, wh, 255), [1, 1], [0, 0], [0, 0], [1, 1])
    conv.set_friendly_name("conv1")
    return ov.Model([ops.result(conv)], [x])


def test_an_8_bit_convolution_runs_in_u8_on_the_cpu():
    model = conv_after_fake_quantize(256)
    compiled = ov.Core().compile_model(model, "CPU")
    assert fed_by_fake_quantize(model) == ["conv1"]
    assert low_precision_offenders(model, compiled) == []


def test_a_convolution_the_cpu_runs_in_float_is_named():
    # a 16-bit FakeQuantize has no int8 kernel: the CPU plugin decomposes it and runs the conv in float
    model = conv_after_fake_quantize(65536)
    offenders = low_precision_offenders(model, ov.Core().compile_model(model, "CPU"))
    assert len(offenders) == 1 and offenders[0].startswith("conv1 (") and "8" not in offenders[0]


def test_the_builder_refuses_a_model_with_float_convolutions(tmp_path):
    from cleftedge.device_profiles import load_profile
    from cleftedge.spec import ModelSpec

    xml = tmp_path / "m.xml"
    ov.save_model(conv_after_fake_quantize(65536), str(xml))
    spec = ModelSpec.from_dict(_tiny_spec(), "test")
    (tmp_path / "engine").mkdir()
    with pytest.raises(CleftEdgeError, match=r"1 quantized ops do not run in INT8 on CPU: conv1"):
        build_openvino(xml, spec, load_profile("intel-cpu"), tmp_path / "engine", tmp_path / "cache")


def test_the_builder_refuses_an_unquantized_model(tmp_path):
    from cleftedge.device_profiles import load_profile
    from cleftedge.spec import ModelSpec

    x = ops.parameter([1, 3, 16, 16], ov.Type.f32, name="x")
    w = ops.constant(np.ones((4, 3, 3, 3), np.float32))
    xml = tmp_path / "f.xml"
    ov.save_model(ov.Model([ops.result(ops.convolution(x, w, [1, 1], [0, 0], [0, 0], [1, 1]))], [x]), str(xml))
    (tmp_path / "engine").mkdir()
    with pytest.raises(CleftEdgeError, match="is not quantized"):
        build_openvino(xml, ModelSpec.from_dict(_tiny_spec(), "test"), load_profile("intel-cpu"),
                       tmp_path / "engine", None)


def _tiny_spec() -> dict:
    from cleftedge.reference.spec import reference_spec

    d = reference_spec().to_dict()
    d["input"]["name"] = "x"
    return d
