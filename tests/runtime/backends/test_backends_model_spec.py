"""Reading the spec from a model file: the small protobuf reader against onnx's own reading."""

import numpy as np
import onnx
import pytest
from backends_helpers import make_onnx, make_spec

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.model_spec import (
    parse_model_metadata,
    read_onnx_metadata,
    read_onnx_op_types,
    resolve_spec,
)
from cleftedge.spec import METADATA_KEY


def _onnx_reading(path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_reader_equals_onnx_on_metadata_with_unicode_and_many_keys(tmp_path):
    spec = make_spec()
    meta = {"producer.note": "Gaumenspalte — 唇裂 ✓", "empty": "", "long": "x" * 5000}
    meta.update({f"k{i}": str(i) for i in range(40)})
    path = make_onnx(tmp_path / "m.onnx", spec, metadata=meta)
    got = read_onnx_metadata(path)
    assert got == _onnx_reading(path)
    assert got[METADATA_KEY] == spec.to_json() and got["producer.note"] == "Gaumenspalte — 唇裂 ✓"


def test_reader_skips_large_weights_and_sees_metadata_after_them(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    big = numpy_helper.from_array(np.arange(300_000, dtype=np.float32).reshape(1000, 300), "big")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "big"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1000])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 300])], [big])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    helper.set_model_props(model, {METADATA_KEY: "{}", "a": "b"})
    path = tmp_path / "big.onnx"
    onnx.save(model, str(path))
    assert read_onnx_metadata(path) == _onnx_reading(path) == {METADATA_KEY: "{}", "a": "b"}
    assert read_onnx_op_types(path) == {"MatMul"}


def test_model_without_metadata_and_broken_files(tmp_path):
    assert read_onnx_metadata(make_onnx(tmp_path / "bare.onnx", None)) == {}
    assert read_onnx_op_types(tmp_path / "bare.onnx") >= {"Conv", "Gemm", "ReduceMean"}
    data = (tmp_path / "bare.onnx").read_bytes()
    with pytest.raises(CleftEdgeError, match="not a readable ONNX model"):
        parse_model_metadata(data + b"\x72\xff\x7f", "cut.onnx")  # field 14 cut short: length past the end
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(CleftEdgeError, match="empty.onnx is not a readable ONNX model.*empty"):
        read_onnx_metadata(empty)
    with pytest.raises(CleftEdgeError, match="cannot read"):
        read_onnx_metadata(tmp_path / "missing.onnx")


def test_resolve_spec_order_and_messages(tmp_path):
    spec = make_spec()
    path = make_onnx(tmp_path / "m.onnx", spec)
    assert resolve_spec(path) == spec
    assert resolve_spec(path, spec.replace_threshold(0.3)).output.threshold == 0.3
    assert resolve_spec(path, embedded={METADATA_KEY: spec.to_json()}) == spec
    plan = tmp_path / "model.plan"
    plan.write_bytes(b"\0" * 16)
    with pytest.raises(CleftEdgeError, match=r"model.plan is a bare TensorRT plan.*pass --spec spec.toml"):
        resolve_spec(plan)
    broken = make_onnx(tmp_path / "broken.onnx", None, metadata={METADATA_KEY: "{not json"})
    with pytest.raises(CleftEdgeError, match="not valid JSON"):
        resolve_spec(broken)
