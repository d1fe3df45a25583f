"""The TensorRT Q/DQ checker on hand-built graphs: each rule caught and the node named."""

import json

import numpy as np
import pytest

from cleftedge.cli import main
from cleftedge.export.qdq_rules import check_model


def qdq_model(*, act_zp=np.int8(0), act_scale=np.float32(0.02), w_axis=0, w_scale_n=4, op="Conv", trans_b=1,
              float_weights=False):
    """x -> Q -> DQ -> op(weight DQ) -> y, with the weight quantized ahead (int8) or in the graph (float)."""
    from onnx import TensorProto, helper, numpy_helper

    if op == "Conv":
        w = np.ones((4, 1, 3, 3), np.float32)
        x_shape, y_shape = [1, 1, 8, 8], [1, 4, 6, 6]
    else:
        w = np.ones((4, 8) if trans_b else (8, 4), np.float32)
        x_shape, y_shape = [1, 8], [1, 4]
    inits = [numpy_helper.from_array(np.asarray(act_scale, np.float32), "xs"),
             numpy_helper.from_array(np.asarray(act_zp), "xz"),
             numpy_helper.from_array(np.full(w_scale_n, 0.01, np.float32), "ws"),
             numpy_helper.from_array(np.zeros(w_scale_n, np.int8), "wz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="x_Q"),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="x_DQ")]
    if float_weights:
        inits.append(numpy_helper.from_array(w, "w"))
        nodes += [helper.make_node("QuantizeLinear", ["w", "ws", "wz"], ["wq"], name="w_Q", axis=w_axis),
                  helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="w_DQ", axis=w_axis)]
    else:
        inits.append(numpy_helper.from_array(w.astype(np.int8), "wq"))
        nodes.append(helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="w_DQ", axis=w_axis))
    extra = {"transB": trans_b} if op == "Gemm" else {}
    nodes.append(helper.make_node(op, ["xd", "wd"], ["y"], name="the_op", **extra))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def lines(model):
    return [v.line() for v in check_model(model)]


def test_a_model_that_meets_the_rules_passes():
    assert lines(qdq_model()) == []
    assert lines(qdq_model(float_weights=True)) == []
    assert lines(qdq_model(op="Gemm", trans_b=1, w_axis=0)) == []
    assert lines(qdq_model(op="Gemm", trans_b=0, w_axis=1)) == []


@pytest.mark.parametrize("kwargs,node,needle", [
    ({"act_zp": np.uint8(128)}, "x_Q", "uint8"),
    ({"act_zp": np.int8(3)}, "x_Q", "non-zero zero point"),
    ({"act_scale": np.full(4, 0.02, np.float32)}, "x_Q", "per-tensor activations"),
    ({"w_axis": 1}, "w_DQ", "axis 1 for Conv"),
    ({"w_axis": 1, "float_weights": True}, "w_Q", "axis 1 for Conv"),
    ({"op": "Gemm", "trans_b": 1, "w_axis": 1}, "w_DQ", "needs axis 0"),
    ({"act_scale": np.float32(0.0)}, "x_Q", "not positive"),
])
def test_each_rule_names_the_node(kwargs, node, needle):
    got = lines(qdq_model(**kwargs))
    assert got and got[0].startswith(f"node '{node}'") and needle in got[0], got


def test_a_float_model_is_not_an_explicitly_quantized_one(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from cleftedge.export.onnx_meta import load_onnx

    w = numpy_helper.from_array(np.full((2, 1, 3, 3), 0.1, np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["image", "w"], ["out"], name="conv")], "float",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 2, 6, 6])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "f.onnx"))
    assert "not an explicitly quantized model" in lines(load_onnx(tmp_path / "f.onnx"))[0]


def test_check_qdq_command_exit_codes_and_json(tmp_path, capsys):
    import onnx

    good, bad = tmp_path / "good.onnx", tmp_path / "bad.onnx"
    onnx.save(qdq_model(), str(good))
    onnx.save(qdq_model(act_zp=np.uint8(128)), str(bad))
    assert main(["check-qdq", str(good)]) == 0
    assert "meets TensorRT's Q/DQ rules" in capsys.readouterr().out
    assert main(["check-qdq", str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False and report["violations"][0]["node"] == "x_Q"
    assert captured.err.count("\n") == 1 and "x_Q" in captured.err
    assert main(["check-qdq", str(tmp_path / "missing.onnx")]) == 1
    assert "does not exist" in capsys.readouterr().err
