import json
import sys
from pathlib import Path

import pytest

# the fake TensorRT and host CUDA layer (built on the committed API surfaces) live with the conformance tests
sys.path[:0] = [str(Path(__file__).parents[2] / "conformance"), str(Path(__file__).parents[3] / "scripts/api_surfaces")]


@pytest.fixture(scope="session")
def reference_onnx(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("ref") / "model.onnx")


@pytest.fixture(scope="session")
def qdq_onnx(reference_onnx):
    """The reference model as a u8/s8 QDQ ONNX made by onnxruntime's quantize_static (what the
    onnxruntime recipe makes), spec and a calibration record in the metadata."""
    from onnxruntime.quantization import QuantType

    return quantized(reference_onnx, "model.qdq.onnx", activation_type=QuantType.QUInt8,
                     weight_type=QuantType.QInt8)


@pytest.fixture(scope="session")
def trt_qdq_onnx(reference_onnx):
    """The same under TensorRT's rules: symmetric int8 activations and weights, no bias Q/DQ."""
    from onnxruntime.quantization import QuantType

    return quantized(reference_onnx, "model.trt.onnx", activation_type=QuantType.QInt8,
                     weight_type=QuantType.QInt8, op_types_to_quantize=["Conv", "Gemm", "MatMul"],
                     extra_options={"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False})


def quantized(reference_onnx, name, **options):
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    from cleftedge.export.onnx_meta import embed_spec
    from cleftedge.hashing import sha256_file
    from cleftedge.runtime.model_spec import resolve_spec
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.simulator.dataset import generate

    spec = resolve_spec(reference_onnx)
    pre = Preprocessor(spec.input)
    batches = [{spec.input.name: pre(f.image)[None]} for f, _, _ in generate(16, 5)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(batches)

        def get_next(self):
            return next(self.items, None)

    out = reference_onnx.with_name(name)
    quantize_static(str(reference_onnx), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    **options)
    model = onnx.load(str(out))
    embed_spec(model, spec)
    entry = model.metadata_props.add()  # the record the calibration recipes leave in the model
    entry.key, entry.value = "cleftedge.calibration", json.dumps(
        {"recipe": "onnxruntime", "source_sha256": sha256_file(reference_onnx), "data_hash": "d" * 64})
    onnx.save(model, str(out))
    return out
