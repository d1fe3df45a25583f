"""TensorRT builder on a machine without TensorRT: one line saying it must run on the target.
(The build itself is `pytest -m tensorrt` on a Jetson: tests/device_profiles/test_profiles_tensorrt_settings.py.)"""

import importlib.util

import pytest

from cleftedge.cli import main

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None,
                                reason="TensorRT is installed here: the missing-TensorRT message cannot be shown")


@pytest.mark.parametrize("profile,versions", [("jetson-orin-nano", "TensorRT 10.3..10.3 (the jetson-orin-nano "
                                                                 "profile's range, JetPack 6.1)"),
                                              ("jetson-agx-orin", "TensorRT 10.3..10.3 (the jetson-agx-orin"),
                                              ("jetson-agx-orin-jp7", "TensorRT 10.16 or 11.4 (the "
                                                                      "jetson-agx-orin-jp7 profile's range"),
                                              ("jetson-thor", "TensorRT 10.13, 10.16 or 11.4 (the jetson-thor")])
def test_build_without_tensorrt_says_to_build_on_the_target(trt_qdq_onnx, tmp_path, capsys, profile, versions):
    out = tmp_path / "b"
    assert main(["build", "--model", str(trt_qdq_onnx), "--profile", profile, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TensorRT is not importable here" in err
    assert "same TensorRT version and GPU" in err and "--system-site-packages" in err
    assert f"expected {versions}" in err  # the profile's own range, not "10.3+ or 11.x" for a JetPack 6 board
    assert not out.exists()


def test_bench_and_build_give_the_same_hint_for_a_missing_tensorrt(trt_qdq_onnx, tmp_path, capsys):
    from cleftedge.runtime.model_spec import resolve_spec

    plan = tmp_path / "model.plan"
    plan.write_bytes(b"\0" * 64)
    spec = tmp_path / "spec.json"
    spec.write_text(resolve_spec(trt_qdq_onnx).to_json())
    assert main(["bench", "--model", str(plan), "--spec", str(spec), "--backend", "tensorrt", "--frames", "1"]) == 1
    bench = capsys.readouterr().err
    assert main(["build", "--model", str(trt_qdq_onnx), "--profile", "jetson-thor", "--out", str(tmp_path / "b")]) == 1
    build = capsys.readouterr().err
    assert bench.count("\n") == build.count("\n") == 1
    parts = [(line.split("; expected ")[0], line.split("; expected ")[1].split("; ", 1)[1]) for line in (bench, build)]
    assert parts[0] == parts[1]  # the same what and fix; only "expected" names the profile's range
    assert parts[0][0] == "cleftedge: error: TensorRT is not importable here (No module named 'tensorrt')"
    assert "JetPack, not from pip" in parts[0][1]


def test_an_onnxruntime_u8_model_is_refused_for_tensorrt_before_any_tensorrt_call(qdq_onnx, tmp_path, capsys):
    # the fixture is the x86 recipe's u8/s8 QDQ: asymmetric uint8 activations break TensorRT's rules
    assert main(["build", "--model", str(qdq_onnx), "--profile", "jetson-agx-orin", "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "breaks TensorRT's Q/DQ rules" in err and "check-qdq" in err


def test_an_ir_is_refused_for_tensorrt(reference_onnx, tmp_path, capsys):
    import openvino as ov

    from cleftedge.runtime.model_spec import resolve_spec, set_ir_spec

    model = ov.Core().read_model(str(reference_onnx))
    set_ir_spec(model, resolve_spec(reference_onnx))
    xml = tmp_path / "m.xml"
    ov.save_model(model, str(xml))
    assert main(["build", "--model", str(xml), "--profile", "jetson-thor", "--out", str(tmp_path / "b")]) == 1
    assert "is not an ONNX file" in capsys.readouterr().err
