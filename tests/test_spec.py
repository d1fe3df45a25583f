import json

import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.scoring import scores_from_output
from cleftedge.spec import ModelSpec, load_spec, spec_toml

BASE = {
    "model_name": "m",
    "input": {"name": "x", "height": 96, "width": 128, "channels": 3, "color": "RGB",
              "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "resize": "letterbox"},
    "output": {"name": "y", "class_names": ["a", "b", "c"], "positive_classes": [1, 2], "threshold": 0.4},
}


def test_roundtrip_json_and_toml(tmp_path):
    spec = ModelSpec.from_dict(BASE)
    assert ModelSpec.from_json(spec.to_json()) == spec
    p = tmp_path / "spec.toml"
    p.write_text(spec_toml(spec))
    assert load_spec(p) == spec
    assert spec.input.shape == (3, 96, 128)


@pytest.mark.parametrize("path,value,needle", [
    (("input", "channels"), 2, "input.channels"),
    (("input", "color"), "GRAY", "input.color"),
    (("input", "resize"), "crop", "input.resize"),
    (("input", "std"), [0.0, 1.0, 1.0], "input.std"),
    (("input", "mean"), [0.1, 0.2], "input.mean/std"),
    (("output", "positive_classes"), [3], "output.positive_classes"),
    (("output", "threshold"), 1.5, "output.threshold"),
    (("output", "activation"), "relu", "output.activation"),
    (("input", "height"), "96", "input.height"),
])
def test_bad_fields_name_the_field(path, value, needle):
    data = json.loads(json.dumps(BASE))
    data[path[0]][path[1]] = value
    with pytest.raises(CleftEdgeError) as exc:
        ModelSpec.from_dict(data)
    assert needle in str(exc.value)
    assert "\n" not in exc.value.line()


def test_unknown_key_refused():
    data = json.loads(json.dumps(BASE))
    data["input"]["hieght"] = 3
    with pytest.raises(CleftEdgeError, match="unknown key 'input.hieght'"):
        ModelSpec.from_dict(data)


def test_metadata_is_never_evaluated():
    with pytest.raises(CleftEdgeError):
        ModelSpec.from_json("__import__('os').system('false')")


def test_scores_softmax_sums_positive_classes():
    spec = ModelSpec.from_dict(BASE)
    raw = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    s = scores_from_output(spec.output, raw)
    assert s[0] == pytest.approx(2 / 3)
    assert s[1] < 1e-3


def test_scores_sigmoid_binary():
    data = json.loads(json.dumps(BASE))
    data["output"] = {"name": "y", "class_names": ["cleft"], "positive_classes": [0], "activation": "sigmoid"}
    spec = ModelSpec.from_dict(data)
    assert scores_from_output(spec.output, np.array([[0.0]]))[0] == pytest.approx(0.5)


def test_class_count_mismatch_is_user_error():
    spec = ModelSpec.from_dict(BASE)
    with pytest.raises(CleftEdgeError, match="3 as the spec"):
        scores_from_output(spec.output, np.zeros((1, 2)))
