import pytest
from backends_helpers import make_onnx, make_spec


@pytest.fixture
def tiny_onnx(tmp_path):
    spec = make_spec()
    return make_onnx(tmp_path / "tiny.onnx", spec), spec
