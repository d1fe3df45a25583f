"""`export --checkpoint --arch package.module:Class --arch-kwargs JSON`: the user's own nn.Module from
their environment, loaded weights-only; a checkpoint that does not fit names its first missing and
unexpected keys."""

import json
import sys

import pytest
import torch

from cleftedge.cli import main

MODULE = '''
import torch
from torch import nn


class Little(nn.Module):
    def __init__(self, classes=2, width=4):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(self.body(x).flatten(1))
'''
SPEC = {"input": {"name": "image", "height": 32, "width": 32, "channels": 1, "color": "GRAY"},
        "output": {"name": "logits", "class_names": ["a", "b", "c"], "positive_classes": [2]}}


@pytest.fixture
def user_pkg(tmp_path, monkeypatch):
    pkg = tmp_path / "site" / "their_models"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield pkg
    for name in [m for m in sys.modules if m.startswith("their_models")]:
        del sys.modules[name]


def _checkpoint(path, **kwargs):
    from their_models.nets import Little

    torch.save(Little(**kwargs).state_dict(), path)
    return path


def test_a_users_own_module_exports_with_its_kwargs(user_pkg, tmp_path, capsys):
    ckpt = _checkpoint(tmp_path / "w.pt", classes=3, width=6)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "m.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--arch", "their_models.nets:Little", "--arch-kwargs",
                 '{"classes": 3, "width": 6}', "--spec", str(spec), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["max_abs_diff"] <= 1e-4 and out.is_file()


@pytest.mark.parametrize("argv,needle", [
    (["--arch-kwargs", '{"classes": 3}'],  # width 4 (the default) against the saved 6
     "3 of another shape, first body.0.weight (6, 1, 3, 3) vs (4, 1, 3, 3)"),
    (["--arch-kwargs", "[1, 2]"], "--arch-kwargs is a JSON list"),
    (["--arch-kwargs", '{"depth": 3}'], "failed"),
])
def test_a_checkpoint_that_does_not_fit_is_one_line(user_pkg, tmp_path, capsys, argv, needle):
    ckpt = _checkpoint(tmp_path / "w.pt", classes=3, width=6)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "m.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--arch", "their_models.nets:Little", *argv, "--spec",
                 str(spec), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and not out.exists()


def test_missing_and_unexpected_keys_are_named(user_pkg, tmp_path, capsys):
    from their_models.nets import Little

    state = Little(classes=2).state_dict()
    state["classifier.weight"] = state.pop("head.weight")  # a renamed layer: one missing, one unexpected
    ckpt = tmp_path / "renamed.pt"
    torch.save(state, ckpt)
    rc = main(["export", "--checkpoint", str(ckpt), "--arch", "their_models.nets:Little", "--spec",
               str(tmp_path / "none.toml"), "--out", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert rc == 1 and "1 missing, first head.weight" in err and "1 unexpected, first classifier.weight" in err


@pytest.mark.parametrize("arch,needle", [("no_such_pkg.nets:Little", "cannot import no_such_pkg"),
                                         ("their_models.nets:Big", "has no class Big")])
def test_an_arch_that_cannot_be_found_is_one_line(user_pkg, tmp_path, capsys, arch, needle):
    ckpt = _checkpoint(tmp_path / "w.pt")
    assert main(["export", "--checkpoint", str(ckpt), "--arch", arch, "--out", str(tmp_path / "m.onnx")]) == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
