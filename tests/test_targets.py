"""The target table (cleftedge/targets.py): every row names real code, every --backend/--target choice is
the table's keys, and a fourth target is one row (plus its backend, builder and recipe) with no other edit."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cleftedge import toml
from cleftedge.cli import build_parser, main
from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import load
from cleftedge.runtime.backends import Backend, backend_class, backend_for_path, open_backend
from cleftedge.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend
from cleftedge.targets import TARGETS, Target, names, target_for_path

sys.path.insert(0, str(Path(__file__).parent / "runtime" / "backends"))
from backends_helpers import make_onnx, make_spec  # noqa: E402

ROOT = Path(__file__).parents[1]
TARGET_FLAGS = ("--backend", "--target")


class FakeRtBackend(OnnxRuntimeBackend):
    """A fourth target's backend for the test: onnxruntime under another name, opening `.fakert` files."""

    name = "fakert"


FAKE = Target(name="fakert", label="FakeRT", backend=f"{__name__}:FakeRtBackend",
              builder="cleftedge.export.builders.onnxruntime:build_onnxruntime",
              recipe="cleftedge.calibration.recipes.onnxruntime:quantize_onnxruntime",  # an existing recipe, named
              methods=("minmax",), calibrated_suffix=".onnx", suffixes=(".fakert",), file_kind="a FakeRT model",
              recipe_onnx_kind="a FakeRT recipe's ONNX", extra="onnxruntime", module="onnxruntime", devices=("CPU",),
              profiles=())


def _choice_actions(parser: argparse.ArgumentParser, path: str = ""):
    """(command path, action) for every option of every (nested) subcommand that has choices."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _choice_actions(child, f"{path} {name}".strip())
        elif action.choices is not None:
            yield path, action


def _target_choices(parser: argparse.ArgumentParser) -> dict[str, tuple]:
    """'command --flag' -> choices, for every option whose choices name any target."""
    return {f"{path} {action.option_strings[-1]}": tuple(action.choices) for path, action in _choice_actions(parser)
            if set(action.choices) & set(TARGETS)}


def _extras() -> set[str]:
    return set(toml.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])


@pytest.mark.parametrize("name", list(TARGETS))
def test_every_row_names_real_code_and_real_names(name):
    """Every reference resolves (all three import here: their toolkits load only when a model is opened)."""
    row = TARGETS[name]
    cls = load(row.backend, row.extra)
    assert isinstance(cls, type) and issubclass(cls, Backend) and cls.name == name
    assert backend_class(name) is cls
    assert callable(load(row.builder, "build")) and callable(load(row.recipe, "build"))
    assert row.methods and row.calibrated_suffix.startswith(".") and all(s.startswith(".") for s in row.suffixes)
    assert row.extra in _extras(), f"{name}: pip extra '{row.extra}' is not in pyproject.toml"
    assert row.check_backend in TARGETS and row.devices


def test_suffixes_are_claimed_once():
    claimed = [s for row in TARGETS.values() for s in row.suffixes]
    assert len(claimed) == len(set(claimed))
    assert {s: backend_for_path(f"m{s}") for s in claimed} == {".onnx": "onnxruntime", ".xml": "openvino",
                                                                 ".plan": "tensorrt", ".engine": "tensorrt"}


def test_rows_name_the_builtin_profiles_and_their_devices():
    from cleftedge.device_profiles import list_profiles, load_profile

    listed = {p.name: p for p in list_profiles()}
    assert sorted(listed) == sorted(p for row in TARGETS.values() for p in row.profiles)
    for row in TARGETS.values():
        for profile in map(load_profile, row.profiles):
            assert profile.backend == row.name and profile.recipe in TARGETS
            assert profile.device.split(".")[0] in row.devices


def test_every_target_choice_of_the_cli_is_the_table():
    """Parsed from the real parser: any option whose choices name a target offers exactly the table's keys."""
    found = _target_choices(build_parser())
    assert {"run --backend", "qa --backend", "bench --backend", "tune-alerts --backend",
            "calibrate --target"} <= set(found)
    assert all(choices == names() for choices in found.values()), found


def test_a_fourth_target_is_one_row(monkeypatch, tmp_path, capsys):
    """A row pointing at a backend class (and an existing builder and recipe) is picked up by the backend
    lookup, the suffix lookup, the CLI choices, builds, recipes, profiles and QA, with no other edit."""
    from cleftedge.calibration.calibrate import CalibrateRequest
    from cleftedge.calibration.preset import run_preset
    from cleftedge.calibration.qa.candidate import plan_candidate
    from cleftedge.calibration.recipes import output_suffix, recipe
    from cleftedge.device_profiles import builtin_text, parse_profile
    from cleftedge.export.builders import builder_for
    from cleftedge.runtime.bundle import machine

    monkeypatch.setitem(TARGETS, "fakert", FAKE)
    spec = make_spec()
    model = make_onnx(tmp_path / "tiny.fakert", spec)

    assert backend_for_path(model) == "fakert" == target_for_path(model)
    with open_backend(model, spec=spec) as b:
        assert type(b) is FakeRtBackend and b.infer(np.zeros((1, 1, 16, 16), np.float32))["logits"].shape == (1, 2)
    assert builder_for("fakert") is load(FAKE.builder, "build") and recipe("fakert") is load(FAKE.recipe, "build")
    assert output_suffix("fakert") == ".onnx"
    plan = plan_candidate(model, None)
    assert (plan.intended, plan.run, plan.proxy, plan.why) == ("fakert", "fakert", False, "a FakeRT model")

    found = _target_choices(build_parser())
    assert all("fakert" in choices for choices in found.values()), found
    text = builtin_text("intel-cpu").replace('"openvino"', '"fakert"')
    text = text[:text.index("[openvino]")] + text[text.index("[qa]"):]
    assert parse_profile(text, "fake.toml").backend == "fakert"
    assert machine.toolkit_versions()["fakert"] == machine.toolkit_versions()["onnxruntime"]  # bundle checks
    with pytest.raises(CleftEdgeError, match="--preset for the fakert recipe"):  # refused, not a KeyError
        run_preset(CalibrateRequest(tmp_path / "m.onnx", tmp_path, "fakert", tmp_path / "o.onnx"), policy=None)

    # the real CLI runs the new target, chosen by the file's suffix and by --backend
    for extra in ([], ["--backend", "fakert"]):
        assert main(["bench", "--model", str(model), "--frames", "5", "--warmup", "1", "--budget-ms", "10000",
                     "--json", *extra]) == 0
        assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["backend"] == "fakert"


def test_without_the_row_the_new_target_is_refused_in_one_line(tmp_path):
    model = make_onnx(tmp_path / "tiny.fakert", make_spec())
    with pytest.raises(CleftEdgeError, match=r"cannot tell the backend for tiny\.fakert"):
        backend_for_path(model)
    with pytest.raises(CleftEdgeError, match="unknown backend 'fakert'.*one of: onnxruntime, openvino, tensorrt"):
        backend_class("fakert")
    out = subprocess.run([sys.executable, "-m", "cleftedge", "bench", "--model", str(model), "--backend", "fakert"],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "invalid choice: 'fakert'" in out.stderr and out.stderr.count("\n") == 1


def test_a_row_whose_package_is_missing_names_its_extra(monkeypatch, tmp_path):
    """The one lazy lookup: a missing package is one CleftEdgeError line with the pip extra to install."""
    monkeypatch.setitem(TARGETS, "fakert", replace(FAKE, backend="cleftedge_no_such_pkg.rt:Rt", extra="fakert"))
    with pytest.raises(CleftEdgeError) as err:
        open_backend(make_onnx(tmp_path / "tiny.fakert", make_spec()))
    text = str(err.value)
    assert "cleftedge_no_such_pkg is not installed" in text and "pip install 'cleftedge[fakert]'" in text
    assert "\n" not in text
    with pytest.raises(CleftEdgeError, match="has no 'NoSuchClass'"):
        load("cleftedge.runtime.backends.onnxruntime_backend:NoSuchClass", "onnxruntime")


def test_the_table_imports_on_a_cart_with_no_toolkit():
    """Strings only: importing the table (and looking a row up) loads no numpy, onnx, torch or toolkit."""
    code = ("import sys; from cleftedge.targets import TARGETS, target_for_path; target_for_path('m.plan'); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'onnx', 'torch', 'nncf', 'onnxruntime', "
            "'openvino', 'tensorrt', 'pycuda', 'cuda'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
