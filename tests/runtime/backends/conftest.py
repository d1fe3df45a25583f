import sys
from pathlib import Path

import pytest
from backends_helpers import make_onnx, make_spec

# the fake TensorRT and host CUDA layer (built on the committed API surfaces) live with the conformance tests
sys.path[:0] = [str(Path(__file__).parents[2] / "conformance"), str(Path(__file__).parents[3] / "scripts/api_surfaces")]


@pytest.fixture
def tiny_onnx(tmp_path):
    spec = make_spec()
    return make_onnx(tmp_path / "tiny.onnx", spec), spec
