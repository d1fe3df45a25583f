import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from export_helpers import write_spec

from cleftedge.cli import main
from cleftedge.export.onnx_meta import read_spec
from cleftedge.runtime.model import Model
from cleftedge.simulator.dataset import generate


def dims(path, name):
    m = onnx.load(str(path))
    v = next(i for i in m.graph.input if i.name == name)
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim]


@pytest.mark.parametrize("arch,kind,activation", [("resnet18", "logits", "softmax"),
                                                  ("mobilenet", "probabilities", "none")])
def test_byo_fixes_hw_keeps_batch_dynamic_and_embeds_spec(byo_models, tmp_path, arch, kind, activation, capsys):
    spec = write_spec(tmp_path / "spec.toml", kind=kind, activation=activation)
    out = tmp_path / "fixed.onnx"
    assert main(["export", "--onnx", str(byo_models[arch]), "--spec", str(spec), "--out", str(out)]) == 0
    assert "max abs diff" in capsys.readouterr().out
    d = dims(out, "image")
    assert d[1:] == [3, 96, 128] and isinstance(d[0], str)  # static H x W, dynamic batch
    assert dims(byo_models[arch], "image")[2:] != [96, 128]
    assert read_spec(out).input.width == 128
    info = subprocess.run([sys.executable, "-m", "cleftedge", "inspect", str(out), "--json"],
                          capture_output=True, text=True)
    assert info.returncode == 0 and '"crop_sector": true' in info.stdout


@pytest.mark.parametrize("change,needle", [
    (dict(input="pixels"), "the spec names input 'pixels'"),
    (dict(output="probs"), "the spec names output 'probs'"),
])
def test_spec_that_does_not_match_the_graph_is_refused(byo_models, tmp_path, capsys, change, needle):
    spec = write_spec(tmp_path / "spec.toml", **change)
    out = tmp_path / "x.onnx"
    assert main(["export", "--onnx", str(byo_models["resnet18"]), "--spec", str(spec), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_channel_mismatch_is_refused(byo_models, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(write_spec(tmp_path / "s0.toml").read_text().replace("channels = 3", "channels = 1")
                    .replace('color = "RGB"', 'color = "GRAY"').replace("mean = [0.485, 0.456, 0.406]", "mean = 0.5")
                    .replace("std = [0.229, 0.224, 0.225]", "std = 0.25"))
    out = tmp_path / "x.onnx"
    rc = main(["export", "--onnx", str(byo_models["resnet18"]), "--spec", str(spec), "--out", str(out)])
    assert rc == 1 and not out.exists()
    assert "channels" in capsys.readouterr().err


@pytest.mark.parametrize("content", [None, b"", b"not an onnx model at all"])
def test_missing_or_garbage_onnx_is_one_line(tmp_path, capsys, content):
    src = tmp_path / "theirs.onnx"
    if content is not None:
        src.write_bytes(content)
    spec = write_spec(tmp_path / "spec.toml")
    out = tmp_path / "x.onnx"
    assert main(["export", "--onnx", str(src), "--spec", str(spec), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cleftedge: error:") and err.count("\n") == 1 and not out.exists()


GRAY_SPEC = """[input]
name = "image"
channels = 1
color = "GRAY"
height = 64
width = 200
resize = "letterbox"
mean = [0.2]
std = [0.3]

[output]
name = "scores"
class_names = ["normal", "unilateral", "bilateral"]
positive_classes = [1, 2]
"""


def test_byo_one_channel_three_class_model_runs_in_the_runtime(byo_models, tmp_path):
    spec = tmp_path / "gray.toml"
    spec.write_text(GRAY_SPEC)
    out = tmp_path / "gray.onnx"
    r = subprocess.run([sys.executable, "-m", "cleftedge", "export", "--onnx", str(byo_models["gray"]), "--spec",
                        str(spec), "--out", str(out), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["fixed"] == ["H=64", "W=200"]
    d = dims(out, "image")
    assert d[1:] == [1, 64, 200] and isinstance(d[0], str)
    model = Model.open(out)  # the spec travels inside the file
    frames = [f.image for f, _, _ in generate(3, seed=5)]
    scores = model.predict(frames).scores
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))


def test_logits_that_already_sum_to_one_are_warned_about(byo_models, tmp_path, capsys):
    """The mobilenet fixture ends in a softmax: declared as logits it would be softmaxed twice."""
    spec = write_spec(tmp_path / "spec.toml", kind="logits", activation="softmax")
    out = tmp_path / "twice.onnx"
    assert main(["export", "--onnx", str(byo_models["mobilenet"]), "--spec", str(spec), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "already sum to 1 on real frames" in err and 'kind = "probabilities"' in err
    ok = write_spec(tmp_path / "ok.toml", kind="probabilities", activation="none")
    assert main(["export", "--onnx", str(byo_models["mobilenet"]), "--spec", str(ok), "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
