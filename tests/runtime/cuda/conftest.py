"""The CUDA-layer tests run on a GPU machine from a small wheelhouse (scripts/gpu-check.sh): they may
import only numpy, pytest, cuda-bindings and the project itself (no OpenCV, onnx or onnxruntime)."""

import sys
from pathlib import Path

# the fake TensorRT (built on the committed API surfaces) lives with the conformance tests
sys.path[:0] = [str(Path(__file__).parents[2] / "conformance"), str(Path(__file__).parents[3] / "scripts/api_surfaces")]
