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
def reference_export(reference_export_run):
    """`cleftedge export --reference` run as a user runs it: (path, stdout); the session's one export
    (tests/conftest.py), which the tests here must leave as it is."""
    return reference_export_run(heatmap=True)
