"""TensorRT logic that needs no GPU: dtype mapping, binding plans from I/O records, batch shapes
within the profile, int8/fp16 I/O conversion, device names, CUDA layer choice, load errors, the
engine inspector's precision in the 10.x and 11.x formats, the options a bundle implies."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from backends_helpers import make_spec

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import bundle_options, open_backend
from cleftedge.runtime.backends.tensorrt_inspector import engine_precision
from cleftedge.runtime.backends.tensorrt_plan import (
    TensorRecord,
    from_engine,
    gpu_index,
    make_plan,
    numpy_dtype,
    plan_load_error,
    to_engine,
)
from cleftedge.runtime.cuda import choose_layer

DATA = Path(__file__).parent / "data"

SPEC = make_spec(heatmap="cam")  # input "image" (N, 1, 16, 16), outputs "logits" and "cam"


def records(in_shape=(-1, 1, 16, 16), profile=((1, 1, 16, 16), (1, 1, 16, 16), (8, 1, 16, 16)),
            in_dtype="FLOAT", out_dtype="FLOAT"):
    return [TensorRecord("image", "INPUT", in_dtype, in_shape, profile),
            TensorRecord("logits", "OUTPUT", out_dtype, (-1, 2)),
            TensorRecord("cam", "OUTPUT", "HALF", (-1, 1, 16, 16))]


def test_dtype_mapping():
    assert numpy_dtype("FLOAT") == np.float32 and numpy_dtype("DataType.HALF") == np.float16
    assert numpy_dtype("INT8") == np.int8 and numpy_dtype("INT64") == np.int64 and numpy_dtype("BOOL") == np.bool_
    for bad in ("BF16", "FP8", "INT4", "FP4"):
        with pytest.raises(CleftEdgeError, match=f"type {bad}.*float32"):
            numpy_dtype(bad, "x")


def test_dynamic_plan_sizes_buffers_for_the_largest_batch():
    plan = make_plan(records(), SPEC)
    assert (plan.min_batch, plan.opt_batch, plan.max_batch) == (1, 1, 8)
    assert plan.input.max_shape == (8, 1, 16, 16) and plan.input.nbytes == 8 * 256 * 4
    logits, cam = plan.outputs
    assert logits.max_shape == (8, 2) and logits.nbytes == 64
    assert cam.dtype == np.float16 and cam.nbytes == 8 * 256 * 2
    assert plan.input_shape(3) == (3, 1, 16, 16) and logits.shape_for(3) == (3, 2)
    with pytest.raises(CleftEdgeError, match="batch of 9 frames.*1 to 8"):
        plan.input_shape(9)
    with pytest.raises(CleftEdgeError, match="batch of 0 frames"):
        plan.input_shape(0)


def test_static_plan_has_a_fixed_batch():
    recs = [TensorRecord("image", "INPUT", "FLOAT", (1, 1, 16, 16), ((1, 1, 16, 16),) * 3),
            TensorRecord("logits", "OUTPUT", "FLOAT", (1, 2)), TensorRecord("cam", "OUTPUT", "FLOAT", (1, 1, 16, 16))]
    plan = make_plan(recs, SPEC)
    assert (plan.min_batch, plan.max_batch) == (1, 1) and plan.outputs[0].shape_for(1) == (1, 2)


def test_plan_that_does_not_fit_the_spec():
    with pytest.raises(CleftEdgeError, match=r"shape \(-1, 3, 16, 16\).*\(N, 1, 16, 16\).*dimension 1"):
        make_plan(records(in_shape=(-1, 3, 16, 16)), SPEC)
    wrong_name = [TensorRecord("input.1", "INPUT", "FLOAT", (1, 1, 16, 16))] + records()[1:]
    with pytest.raises(CleftEdgeError, match=r"inputs are \['input.1'\].*'image'"):
        make_plan(wrong_name, SPEC)
    with pytest.raises(CleftEdgeError, match="dynamic batch but no optimisation profile"):
        make_plan(records(profile=None), SPEC)
    spatial = ((1, 1, 8, 8), (1, 1, 8, 8), (4, 1, 12, 12))  # dynamic H/W whose profile stops below 16
    with pytest.raises(CleftEdgeError, match=r"allows 8..12 in dimension 2"):
        make_plan(records(in_shape=(-1, 1, -1, -1), profile=spatial), SPEC)
    dds = records()[:2] + [TensorRecord("cam", "OUTPUT", "FLOAT", (-1, -1))]
    with pytest.raises(CleftEdgeError, match="output 'cam'.*only dynamic dimension is the batch"):
        make_plan(dds, SPEC)


def test_int8_and_fp16_io_conversion():
    x = np.array([[-1.0, 0.0, 0.26, 5.0]], np.float32)
    q = to_engine(x, np.dtype(np.int8), 0.02, "image")
    assert q.dtype == np.int8 and q.tolist() == [[-50, 0, 13, 127]]  # rounded, clipped to [-128, 127]
    with pytest.raises(CleftEdgeError, match="int8.*input_scale"):
        to_engine(x, np.dtype(np.int8), None, "image")
    assert to_engine(x, np.dtype(np.float16), None, "image").dtype == np.float16
    assert to_engine(x, np.dtype(np.float32), None, "image") is x
    out = from_engine(np.array([[-50, 100]], np.int8), 0.1)
    assert out.dtype == np.float32 and np.allclose(out, [[-5.0, 10.0]])
    assert from_engine(np.array([1.5], np.float16), None).dtype == np.float32


def test_device_names():
    assert gpu_index("GPU") == gpu_index("cuda") == gpu_index("CPU") == 0
    assert gpu_index("GPU:1") == gpu_index("cuda:1") == gpu_index("gpu.1") == 1
    with pytest.raises(CleftEdgeError, match="device 'NPU' for the tensorrt backend"):
        gpu_index("NPU")


def test_load_errors_name_the_cause_in_one_line():
    gpu = "Orin, compute 8.7"
    other_version = ["The engine plan file is not compatible with this version of TensorRT, expecting library "
                     "version 10.3.0.30 got 10.16.0.72, please rebuild.",
                     "[runtime.cpp::deserializeCudaEngine::50] Error Code 4: Internal Error "
                     "(Engine deserialization failed.)"]
    e = plan_load_error("m.plan", other_version, "10.3.0.30", gpu)
    assert "built by another TensorRT version (10.16.0.72)" in str(e) and "rebuild the plan on this device" in str(e)
    other_gpu = ["The engine plan file is generated on an incompatible device, expecting compute 8.7 got compute 8.6, "
                 "please rebuild."]
    e = plan_load_error("m.plan", other_gpu, "10.3.0.30", gpu)
    assert "built for another GPU (plan for compute 8.6, this GPU is 8.7)" in str(e)
    tag = ["Serialization assertion stdVersionRead == serializationVersion failed.Version tag does not match."]
    assert "another TensorRT version" in str(plan_load_error("m.plan", tag, "11.1.0", gpu))
    damaged = plan_load_error("m.plan", ["Magic tag does not match"], "11.1.0", gpu)
    assert "could not load m.plan (Magic tag does not match)" in str(damaged) and "another TensorRT version" in str(
        damaged)
    for e in (damaged, plan_load_error("m.plan", [], "11.1.0", gpu)):
        assert "\n" not in str(e)


def test_precision_from_a_10x_inspector_output():
    precision, per_layer = engine_precision((DATA / "inspector-10x-detailed.json").read_text())
    # the reformat into int8 and the int8 convolution are int8; the FP16 head and its reformat fp16
    assert precision == "int8" and per_layer == {"int8": 2, "fp16": 2}


def test_precision_from_an_11x_inspector_output():
    text = (DATA / "inspector-11x-detailed.json").read_text()
    assert "Bindings" not in json.loads(text) and "Format/Datatype" not in text  # the 11.x schema
    precision, per_layer = engine_precision(text)
    assert precision == "int8" and per_layer == {"int8": 2, "fp32": 1}
    # the 11.x type field wins over a format string that names another type
    layer = {"Layers": [{"Inputs": [{"Datatype": "Half", "Format": "Row major linear FP32 format (kLINEAR)"}]}]}
    assert engine_precision(json.dumps(layer)) == ("fp16", {"fp16": 1})


def test_an_engine_without_detailed_verbosity_is_unknown_whatever_its_layer_names_say():
    # layer names here contain "Int8" and "FP16": only typed tensor fields count (the old text search said int8)
    assert engine_precision((DATA / "inspector-names-only.json").read_text()) == ("unknown", {})
    assert engine_precision("") == ("unknown", {}) and engine_precision("not json") == ("unknown", {})


def test_a_dla_bundle_opens_its_plan_on_the_dla_core_it_was_built_for():
    manifest = {"backend": "tensorrt", "build_settings": {"dla_core": 1, "strongly_typed": False}}
    assert bundle_options(manifest) == {"dla_core": 1}
    assert bundle_options({"backend": "tensorrt", "build_settings": {"dla_core": None}}) == {}
    assert bundle_options({"backend": "openvino", "build_settings": {"dla_core": 1}}) == {}


def test_cuda_layer_choice():
    assert choose_layer("pycuda") == "pycuda" and choose_layer("cuda-python") == "cuda-python"
    assert choose_layer("auto", {"pycuda": True, "cuda-python": True}) == "pycuda"
    assert choose_layer(None, {"pycuda": False, "cuda-python": True}) == "cuda-python"
    with pytest.raises(CleftEdgeError, match=r"neither pycuda nor cuda-python.*cleftedge\[tensorrt\]"):
        choose_layer("auto", {"pycuda": False, "cuda-python": False})
    with pytest.raises(CleftEdgeError, match="unknown CUDA layer 'cupy'"):
        choose_layer("cupy")


def test_bare_plan_needs_a_spec_and_tensorrt(tmp_path):
    plan = tmp_path / "model.plan"
    plan.write_bytes(b"\x00" * 64)
    with pytest.raises(CleftEdgeError, match="bare TensorRT plan.*pass --spec"):
        open_backend(plan)
    if importlib.util.find_spec("tensorrt") is None:
        with pytest.raises(CleftEdgeError, match=r"tensorrt.*pip install 'cleftedge\[tensorrt\]'") as err:
            open_backend(plan, spec=SPEC)
        assert "\n" not in str(err.value)
