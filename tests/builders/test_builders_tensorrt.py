"""TensorRT builder on a machine without TensorRT: one line saying it must run on the target.
(The build itself is `pytest -m tensorrt` on a Jetson: tests/profiles/test_profiles_tensorrt_settings.py.)"""

import importlib.util

import pytest

from cleftedge.cli import main

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None,
                                reason="TensorRT is installed here: the missing-TensorRT message cannot be shown")


@pytest.mark.parametrize("profile", ["jetson-orin-nano", "jetson-agx-orin", "jetson-agx-orin-jp7", "jetson-thor"])
def test_build_without_tensorrt_says_to_build_on_the_target(qdq_onnx, tmp_path, capsys, profile):
    out = tmp_path / "b"
    assert main(["build", "--model", str(qdq_onnx), "--profile", profile, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TensorRT is not importable here" in err
    assert "same TensorRT version and GPU" in err and "--system-site-packages" in err
    assert not out.exists()
