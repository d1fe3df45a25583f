"""What the builders record for the manifest: no build-host path (the OpenVINO model cache is the
build host's, it means nothing on the cart), and the precision a TensorRT plan's float layers were
built in (what the builder set, never null)."""

import json
import sys

import pytest
from fake_tensorrt import FakeTensorRT
from onnx_engine import builder_behaviour, onnx_engine_behaviour
from test_builders_openvino import _tiny_spec, conv_after_fake_quantize
from test_builders_tensorrt_fake import CASES, JETSONS, fake_build

from cleftedge.device_profiles import builtin_text, load_profile
from cleftedge.export.builders import tensorrt as builder
from cleftedge.export.builders.openvino import build_openvino
from cleftedge.runtime.model_spec import resolve_spec


def test_the_openvino_build_settings_name_no_host_path(tmp_path):
    import openvino as ov

    from cleftedge.spec import ModelSpec

    xml = tmp_path / "m.xml"
    ov.save_model(conv_after_fake_quantize(256), str(xml))
    (tmp_path / "engine").mkdir()
    cache = tmp_path / "host-only-cache"
    result = build_openvino(xml, ModelSpec.from_dict(_tiny_spec(), "test"), load_profile("intel-cpu"),
                            tmp_path / "engine", cache)
    assert cache.is_dir()  # the build host's compile still uses its cache
    assert str(tmp_path) not in json.dumps(result.settings)
    assert result.settings["INFERENCE_PRECISION_HINT"] == result.inference_precision == "f32"


# float layers: f16 where the weakly typed DLA build on TensorRT 10.x sets BuilderFlag.FP16, else the
# Q/DQ ONNX's own float32 (a strongly typed network keeps the ONNX's types)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.profile}-{c.version}")
def test_a_tensorrt_plan_records_the_precision_it_was_built_in(monkeypatch, tmp_path, trt_qdq_onnx, case):
    (tmp_path / "cache").mkdir()
    _, result = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, case.profile, case.version, case.machine, case.full)
    assert result.inference_precision == ("f16" if case.weak_flags else "f32")
    assert result.settings["fp16_flag"] == case.weak_flags


def test_a_tensorrt_bundle_manifest_says_its_inference_precision(monkeypatch, tmp_path, trt_qdq_onnx):
    from cleftedge.cli import main

    spec = resolve_spec(trt_qdq_onnx)
    trt = FakeTensorRT("10.3")
    trt.behaviour.update({**builder_behaviour(trt, trt_qdq_onnx, spec.input.name), **onnx_engine_behaviour(trt)})
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr(builder, "jetson_info", lambda: dict(JETSONS["orin"]))
    from host_cuda import HostCudaLayer

    from cleftedge.runtime.backends import tensorrt_backend

    monkeypatch.setattr(tensorrt_backend, "open_cuda", lambda name, index: HostCudaLayer(index))
    profile = tmp_path / "nano.toml"
    profile.write_text(builtin_text("jetson-orin-nano").replace("required = true", "required = false"))
    assert main(["build", "--model", str(trt_qdq_onnx), "--profile", str(profile), "--out",
                 str(tmp_path / "b")]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["engine"]["inference_precision"] == "f32"
    assert str(tmp_path) not in json.dumps(manifest["build_settings"])
