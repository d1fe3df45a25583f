"""The spec file: one field table per section (spec.INPUT_FIELDS, OUTPUT_FIELDS, SPEC_FIELDS) checks it,
and every refusal is one line naming the key path and what was expected."""

from dataclasses import fields

import pytest
from config_error_helpers import refused

from cleftedge.spec import INPUT_FIELDS, OUTPUT_FIELDS, SPEC_FIELDS, InputSpec, ModelSpec, OutputSpec, load_spec

GOOD = '[input]\nname = "x"\nheight = 96\nwidth = 128\n\n[output]\nname = "y"\n'
EXPORT = ["export", "--onnx", "nowhere.onnx", "--out", "out.onnx", "--spec"]  # the spec fails first


@pytest.mark.parametrize("old,new,words", [
    ("height = 96", 'height = "96"', ["'input.height' is '96'", "wrong type", "an integer from 8 to 8192"]),
    ("width = 128", "width = 4", ["'input.width' is 4", "an integer from 8 to 8192"]),
    ("width = 128", "width = 128\ncrop_sector = 1", ["'input.crop_sector' is 1", "true or false"]),
    ("width = 128", "width = 128\nstd = [1, 0]", ["'input.std' is [1.0, 0.0]", "positive"]),
    ("width = 128", "width = 128\nscale = inf", ["'input.scale' is inf", "finite"]),
    ("height = 96", "hieght = 96", ["unknown key 'input.hieght'", "did you mean 'input.height'",
                                    "one of the keys of [input]: name, height"]),
    ('[output]\nname = "y"', '[output]\nname = "y"\nthreshhold = 0.3', ["unknown key 'output.threshhold'",
                                                                        "did you mean 'output.threshold'"]),
    ('name = "x"\n', "", ["missing 'input.name'", "a non-empty tensor name"]),
    ('[output]\nname = "y"\n', "", ["missing 'output'", "a table of output fields"]),
    (GOOD.split("\n\n")[0], "input = 3", ["'input' is 3", "wrong type: an integer", "a table of input fields"]),
    ("height = 96", "height = {value = 96}", ["'input.height' is {'value': 96}", "wrong type: a table"]),
    ("[output]", "[output.heatmap]\n[output]", ["'output.heatmap' is {}", "heat-map output"]),
    ('[output]\nname = "y"', '[output]\nname = "y"\npositive_classes = true', ["'output.positive_classes' is True",
                                                                              "wrong type"]),  # crashed before
])
def test_a_bad_spec_is_one_line_naming_the_key(tmp_path, capsys, old, new, words):
    assert old in GOOD
    refused(capsys, load_spec, tmp_path / "spec.toml", GOOD.replace(old, new, 1), words, EXPORT)


def test_a_bad_json_spec_names_the_key_the_same_way(tmp_path, capsys):
    text = '{"input": {"name": "x", "height": 96, "width": 128, "colour": "GRAY"}, "output": {"name": "y"}}'
    refused(capsys, load_spec, tmp_path / "spec.json", text, ["unknown key 'input.colour'",
                                                               "did you mean 'input.color'"], EXPORT)


def test_one_table_row_per_field_and_good_specs_load_as_before(tmp_path):
    for table, cls in ((INPUT_FIELDS, InputSpec), (OUTPUT_FIELDS, OutputSpec), (SPEC_FIELDS, ModelSpec)):
        assert [f.name for f in table] == [f.name for f in fields(cls)]
    f = tmp_path / "spec.toml"
    f.write_text("model_version = 3\n" + GOOD.replace("width = 128", "width = 128\nchannels = 3\nmean = 0\n"
                                                      "std = [1, 2, 4]", 1) + 'heatmap = ""\n')
    spec = load_spec(f)
    assert spec.input.color == "RGB" and spec.input.mean == (0.0, 0.0, 0.0) and spec.input.std == (1.0, 2.0, 4.0)
    assert spec.output.positive_classes == (1,) and spec.output.heatmap is None and spec.output.threshold == 0.5
    assert spec.model_version == "3" and ModelSpec.from_json(spec.to_json()) == spec
