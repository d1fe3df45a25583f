"""The spec in an ONNX file's metadata_props, read and written with the onnx package."""

import onnx
import pytest
from onnx import TensorProto, helper

from cleftedge.errors import CleftEdgeError
from cleftedge.export.onnx_meta import embed_spec, read_spec
from cleftedge.reference.spec import reference_spec
from cleftedge.runtime.model_spec import read_onnx_metadata
from cleftedge.spec import METADATA_KEY


def tiny_model():
    x = helper.make_tensor_value_info("frames", TensorProto.FLOAT, ["N", 1, 4, 4])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1, 4, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["frames"], ["logits"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.metadata_props.add(key="author", value="someone")
    return model


def test_embed_then_read_back_replaces_an_older_spec_and_keeps_other_keys(tmp_path):
    model = tiny_model()
    embed_spec(model, reference_spec(threshold=0.3))
    embed_spec(model, reference_spec(threshold=0.7))
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    assert [p.key for p in onnx.load(str(path)).metadata_props].count(METADATA_KEY) == 1
    assert read_spec(path) == reference_spec(threshold=0.7)
    assert {p.key: p.value for p in model.metadata_props}["author"] == "someone"
    # the runtime reads the same metadata without the onnx package
    assert METADATA_KEY in read_onnx_metadata(path)


def test_no_spec_reads_as_none_and_a_broken_one_is_one_line(tmp_path):
    model = tiny_model()
    onnx.save(model, str(tmp_path / "plain.onnx"))
    assert read_spec(tmp_path / "plain.onnx") is None
    model.metadata_props.add(key=METADATA_KEY, value='{"input": "__import__(\'os\')"}')
    onnx.save(model, str(tmp_path / "bad.onnx"))
    with pytest.raises(CleftEdgeError) as err:
        read_spec(tmp_path / "bad.onnx")
    assert "\n" not in str(err.value)
