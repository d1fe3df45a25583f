import pytest

from cleftedge.cli import main


@pytest.fixture(scope="session")
def reference_onnx(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "model.onnx"
    assert main(["export", "--reference", "--out", str(path)]) == 0
    return path
