"""The OpenVINO backend: same scores as onnxruntime (true FP32), IR with the spec in rt_info,
model cache, precision reported from the runtime model, devices."""

import numpy as np
import pytest
from backends_helpers import TinyGraph, make_onnx, make_spec, random_batch

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import open_backend
from cleftedge.runtime.model_spec import get_ir_spec, read_ir_spec_text, set_ir_spec

ov = pytest.importorskip("openvino")


def test_true_fp32_matches_onnxruntime(tiny_onnx):
    path, _ = tiny_onnx
    x = random_batch(4, seed=7)
    with open_backend(path, "onnxruntime") as ref, open_backend(path, "openvino", true_fp32=True, cache_dir="") as b:
        want, got = ref.infer(x)["logits"], b.infer(x)["logits"]
        d = b.describe()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert d["precision"] == "f32" and d["inference_precision"] == "f32" and d["hint"] == "LATENCY"
    assert d["op_precisions"]["Convolution"] == {"f32": 1}


def test_default_precision_is_what_the_runtime_model_says(tiny_onnx):
    path, _ = tiny_onnx
    with open_backend(path, "openvino", cache_dir="") as b:
        d = b.describe()
    # bf16 on CPUs that have it (this one does), f32 elsewhere: either way read from the compiled model
    assert d["precision"] == d["inference_precision"] and d["precision"] in ("bf16", "f32")
    assert d["versions"]["openvino"].startswith(ov.__version__.split("-")[0])


def test_ir_round_trip_carries_the_spec(tmp_path, tiny_onnx):
    path, spec = tiny_onnx
    model = ov.Core().read_model(str(path))
    assert get_ir_spec(model) is None
    set_ir_spec(model, spec)
    xml = tmp_path / "ir" / "model.xml"
    ov.save_model(model, str(xml), compress_to_fp16=False)  # exact weights: compare with onnxruntime
    assert get_ir_spec(ov.Core().read_model(str(xml))) == spec
    assert read_ir_spec_text(xml) == spec.to_json()  # no OpenVINO needed to read it
    x = random_batch(2)
    with open_backend(xml, cache_dir="", true_fp32=True) as b, open_backend(path) as ref:
        assert b.name == "openvino" and b.spec == spec
        np.testing.assert_allclose(b.infer(x)["logits"], ref.infer(x)["logits"], rtol=1e-4, atol=1e-5)


def test_ir_without_spec_or_bin(tmp_path):
    bare = make_onnx(tmp_path / "bare.onnx", None)
    xml = tmp_path / "bare.xml"
    ov.save_model(ov.Core().read_model(str(bare)), str(xml))
    with pytest.raises(CleftEdgeError, match="bare.xml carries no cleftedge model spec.*--spec"):
        open_backend(xml, cache_dir="")
    xml.with_suffix(".bin").unlink()
    with pytest.raises(CleftEdgeError, match="OpenVINO cannot load bare.xml") as err:
        open_backend(xml, spec=make_spec(), cache_dir="")
    assert "\n" not in str(err.value)


def test_cache_folder_is_filled_and_reused(tmp_path, tiny_onnx):
    path, _ = tiny_onnx
    cache = tmp_path / "cache"
    with open_backend(path, "openvino", cache_dir=str(cache)) as b:
        first = b.infer(random_batch(1))["logits"]
    blobs = sorted(p.name for p in cache.iterdir())
    assert blobs, "compiling with a cache folder writes a compiled blob"
    with open_backend(path, "openvino", cache_dir=cache) as b:
        np.testing.assert_array_equal(b.infer(random_batch(1))["logits"], first)
        assert b.describe()["cache_dir"] == str(cache)
    assert sorted(p.name for p in cache.iterdir()) == blobs  # reused, not rebuilt


def test_static_batch_option_and_chunking(tiny_onnx):
    path, _ = tiny_onnx
    x = random_batch(3)
    with open_backend(path, "openvino", batch=1, true_fp32=True, cache_dir="") as b, open_backend(path) as ref:
        assert b.inputs[0].shape == (1, 1, 16, 16) and (b.min_batch, b.max_batch) == (1, 1)
        np.testing.assert_allclose(b.infer(x)["logits"], ref.infer(x)["logits"], rtol=1e-4, atol=1e-5)


def test_heatmap_output_and_bad_devices(tmp_path):
    spec = make_spec(heatmap="cam")
    path = make_onnx(tmp_path / "cam.onnx", spec, TinyGraph(heatmap="cam"))
    with open_backend(path, "openvino", cache_dir="") as b:
        out = b.infer(random_batch(2))
        assert out["cam"].shape == (2, 1, 16, 16)
    with pytest.raises(CleftEdgeError, match="device 'TPU' for the openvino backend"):
        open_backend(path, "openvino", device="TPU", cache_dir="")
    available = ov.Core().available_devices
    if not any(d.startswith("NPU") for d in available):
        with pytest.raises(CleftEdgeError, match="OpenVINO device NPU is not available here"):
            open_backend(path, "openvino", device="NPU", cache_dir="")
    with pytest.raises(CleftEdgeError, match="hint 'FAST'"):
        open_backend(path, "openvino", hint="fast", cache_dir="")


def test_int8_model_reports_int8_precision(tmp_path, tiny_onnx):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    path, spec = tiny_onnx

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"image": random_batch(1, seed=i)} for i in range(8)])

        def get_next(self):
            return next(self.items, None)

    qdq = tmp_path / "tiny.int8.onnx"
    quantize_static(str(path), str(qdq), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"])
    with open_backend(qdq, "openvino", cache_dir="") as b, open_backend(qdq, "onnxruntime") as r:
        assert b.spec == spec  # quantize_static keeps the metadata
        assert set(b.describe()["precision"].split("+")) <= {"u8", "i8"} and r.describe()["precision"] == "int8"
        x = random_batch(2)
        np.testing.assert_allclose(b.infer(x)["logits"], r.infer(x)["logits"], atol=0.1)


def test_calls_in_a_row_keep_callers_arrays_and_earlier_outputs(tiny_onnx):
    # Small batches are copied into the request's own input buffer, large ones (over COPY_BYTES)
    # handed over without a copy; outputs are copied out. In any order of sizes a caller's batch is
    # never written to, and an output it holds is not changed by the next call.
    from cleftedge.runtime.backends.openvino_backend import COPY_BYTES

    path, _ = tiny_onnx
    big = COPY_BYTES // random_batch(1).nbytes + 1
    first, second, third = random_batch(3, seed=1), random_batch(3, seed=2), random_batch(5, seed=3)
    large = random_batch(big, seed=4)
    kept = first.copy()
    with open_backend(path, "onnxruntime") as ref, open_backend(path, "openvino", true_fp32=True, cache_dir="") as b:
        out1 = b.infer(first)["logits"]
        held = out1.copy()
        out2, out3, out4 = b.infer(second)["logits"], b.infer(third)["logits"], b.infer(large)["logits"]
        again = b.infer(first)["logits"]
        for x, got in ((first, out1), (second, out2), (third, out3), (large, out4), (first, again)):
            np.testing.assert_allclose(got, ref.infer(x)["logits"], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_array_equal(out1, held)
