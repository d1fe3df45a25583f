"""The TensorRT Q/DQ rules checker on hand-built Q/DQ graphs: each rule broken once, the node named,
and `cleftedge check-qdq` (exit 1, one line, --json) on real files."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from cleftedge.calibration.qdq_rules import check_model
from cleftedge.cli import main

OUT_CH, IN_CH = 4, 1


def qdq_conv(*, act_zp=0, act_zp_type=np.int8, act_scale=(0.05,), w_axis=0, w_scales=OUT_CH, op="Conv",
             w_type=np.int8):
    """x -> Q/DQ (activation) -> Conv with a DQ'd int8 weight -> y. Every part adjustable."""
    w_shape = (OUT_CH, IN_CH, 3, 3) if op == "Conv" else (IN_CH, OUT_CH, 3, 3)
    w = np.random.default_rng(0).integers(-100, 100, w_shape).astype(w_type)
    inits = [
        numpy_helper.from_array(np.array(act_scale, np.float32).reshape(()) if len(act_scale) == 1 else
                                np.array(act_scale, np.float32), "x_scale"),
        numpy_helper.from_array(np.array(act_zp, act_zp_type).reshape(()) if np.ndim(act_zp) == 0 else
                                np.array(act_zp, act_zp_type), "x_zp"),
        numpy_helper.from_array(w, "w_q"),
        numpy_helper.from_array(np.full(w_scales, 0.01, np.float32), "w_scale"),
        numpy_helper.from_array(np.zeros(w_scales, np.int8), "w_zp"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["x_q"], name="x_quant"),
        helper.make_node("DequantizeLinear", ["x_q", "x_scale", "x_zp"], ["x_dq"], name="x_dequant"),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w_dq"], name="conv1_weight_dq",
                         axis=w_axis),
        helper.make_node(op, ["x_dq", "w_dq"], ["y"], name="conv1", pads=[1, 1, 1, 1]),
    ]
    out_shape = [1, OUT_CH, 8, 8] if op == "Conv" else None
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, IN_CH, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_a_tensorrt_style_model_passes_and_runs():
    model = qdq_conv()
    onnx.checker.check_model(model)
    assert check_model(model) == []
    y = ort.InferenceSession(model.SerializeToString()).run(None, {"x": np.ones((1, 1, 8, 8), np.float32)})[0]
    assert y.shape == (1, OUT_CH, 8, 8)


@pytest.mark.parametrize("kwargs,node,words", [
    ({"act_zp": 128, "act_zp_type": np.uint8}, "x_quant", "uint8"),
    ({"act_zp": 3}, "x_quant", "non-zero zero point"),
    ({"w_axis": 1, "w_scales": OUT_CH}, "conv1_weight_dq", "axis 1 for Conv"),
    ({"act_scale": (0.05, 0.05), "act_zp": np.zeros(2, np.int8)}, "x_quant", "per-channel scale"),
    ({"w_type": np.uint8, "w_scales": OUT_CH}, "conv1_weight_dq", "weights of type uint8"),
])
def test_each_broken_rule_names_its_node(kwargs, node, words):
    violations = check_model(qdq_conv(**kwargs))
    assert violations, "the checker accepted a model TensorRT rejects"
    assert any(v.node == node and words in v.rule for v in violations), [v.line() for v in violations]


def test_conv_transpose_wants_axis_1():
    assert check_model(qdq_conv(op="ConvTranspose", w_axis=1)) == []
    bad = check_model(qdq_conv(op="ConvTranspose", w_axis=0))
    assert [v.node for v in bad] == ["conv1_weight_dq"] and "axis 1" in bad[0].rule


def test_a_float_model_is_not_explicitly_quantized():
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    (v,) = check_model(helper.make_model(graph))
    assert "not an explicitly quantized model" in v.rule


def test_check_qdq_command_exit_codes_and_json(tmp_path, capsys):
    good, bad = tmp_path / "good.onnx", tmp_path / "bad.onnx"
    onnx.save(qdq_conv(), good)
    onnx.save(qdq_conv(act_zp=128, act_zp_type=np.uint8), bad)
    assert main(["check-qdq", str(good)]) == 0
    assert "meets TensorRT's Q/DQ rules" in capsys.readouterr().out
    assert main(["check-qdq", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "node 'x_quant'" in err and "Traceback" not in err
    assert main(["check-qdq", str(bad), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["violations"][0]["node"] == "x_quant"
    assert main(["check-qdq", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"model": str(good), "ok": True, "violations": []}


def test_check_qdq_on_a_missing_or_garbage_file_is_one_line(tmp_path, capsys):
    garbage = tmp_path / "x.onnx"
    garbage.write_bytes(b"not a model")
    for path in (tmp_path / "missing.onnx", garbage):
        assert main(["check-qdq", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("cleftedge: error:")
