import subprocess
import sys

import pytest
import torch
from export_helpers import Softmaxed, export_dynamic

from cleftedge.export.zoo import MobileNetV3Small, ResNet18


@pytest.fixture(scope="session")
def byo_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("byo")
    torch.manual_seed(0)
    return {
        "resnet18": export_dynamic(ResNet18(width=16), root / "resnet18.onnx"),
        "mobilenet": export_dynamic(Softmaxed(MobileNetV3Small(width=0.5)), root / "mobilenet.onnx"),
        "gray": export_dynamic(ResNet18(in_channels=1, classes=3, width=8), root / "gray.onnx", channels=1),
    }


@pytest.fixture(scope="session")
def reference_export(tmp_path_factory):
    """`cleftedge export --reference` run as a user runs it: (path, stdout)."""
    out = tmp_path_factory.mktemp("reference") / "model.onnx"
    r = subprocess.run([sys.executable, "-m", "cleftedge", "export", "--reference", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out, r.stdout
