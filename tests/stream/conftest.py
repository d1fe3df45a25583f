import pytest

from cleftedge.cli import main


@pytest.fixture(scope="session")
def ref_onnx(tmp_path_factory):
    path = tmp_path_factory.mktemp("stream-model") / "model.onnx"
    assert main(["export", "--reference", "--no-heatmap", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="session")
def ref_onnx_heat(tmp_path_factory):
    path = tmp_path_factory.mktemp("stream-model-heat") / "model.onnx"
    assert main(["export", "--reference", "--out", str(path)]) == 0
    return path
