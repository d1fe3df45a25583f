"""Bad input to `cleftedge export` / `inspect`, run as a user runs them: one line, exit 1, no file."""

import subprocess
import sys

import pytest
import torch
from export_helpers import write_spec

from cleftedge.export.zoo import ResNet18


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cleftedge", *map(str, args)], capture_output=True, text=True)


def _missing(tmp, models):
    return ["export", "--onnx", tmp / "nope.onnx", "--spec", write_spec(tmp / "s.toml")], "does not exist"


def _not_onnx(tmp, models):
    (tmp / "theirs.onnx").write_bytes(b"\x00\x01 this is a JPEG, honest")
    return ["export", "--onnx", tmp / "theirs.onnx", "--spec", write_spec(tmp / "s.toml")], "is not an ONNX model"


def _wrong_tensor(tmp, models):
    return (["export", "--onnx", models["resnet18"], "--spec", write_spec(tmp / "s.toml", input="input.1")],
            "the spec names input 'input.1', which the graph does not have")


def _channels(tmp, models):
    spec = write_spec(tmp / "s.toml")
    spec.write_text(spec.read_text().replace("channels = 3", "channels = 1").replace('"RGB"', '"GRAY"')
                    .replace("[0.485, 0.456, 0.406]", "[0.5]").replace("[0.229, 0.224, 0.225]", "[0.25]"))
    return ["export", "--onnx", models["resnet18"], "--spec", spec], "has 3 channels"


def _bad_checkpoint(tmp, models):
    torch.save(ResNet18(width=8).state_dict(), tmp / "ckpt.pt")
    return ["export", "--checkpoint", tmp / "ckpt.pt", "--arch", "reference"], "does not fit --arch reference"


def _pickled_model(tmp, models):
    torch.save(ResNet18(width=8), tmp / "ckpt.pt")  # a whole pickled module, not a state_dict
    return ["export", "--checkpoint", tmp / "ckpt.pt", "--arch", "reference"], "not a loadable weights-only"


def _unknown_arch(tmp, models):
    torch.save({}, tmp / "ckpt.pt")
    return ["export", "--checkpoint", tmp / "ckpt.pt", "--arch", "vgg99"], "unknown --arch 'vgg99'"


@pytest.mark.parametrize("case", [_missing, _not_onnx, _wrong_tensor, _channels, _bad_checkpoint, _pickled_model,
                                  _unknown_arch])
def test_bad_input_is_one_line_exit_1_and_no_file(byo_models, tmp_path, case):
    args, needle = case(tmp_path, byo_models)
    before = set(tmp_path.iterdir())
    r = cli(*args, "--out", tmp_path / "model.onnx")
    assert r.returncode == 1
    assert r.stderr.startswith("cleftedge: error:") and r.stderr.count("\n") == 1, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert set(tmp_path.iterdir()) == before  # no output, no temp file left behind


@pytest.mark.parametrize("content", [None, b"garbage"])
def test_inspect_bad_file_is_one_line(tmp_path, content):
    path = tmp_path / "m.onnx"
    if content is not None:
        path.write_bytes(content)
    r = cli("inspect", path)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stderr.startswith("cleftedge: error:")
