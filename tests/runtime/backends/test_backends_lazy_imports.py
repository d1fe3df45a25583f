"""A cart installs one backend: loading cleftedge's runtime and backend classes imports no heavy
package, and a missing one is one line naming the extra to install."""

import subprocess
import sys

import pytest
from backends_helpers import make_onnx, make_spec

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import open_backend

HEAVY = ("onnxruntime", "openvino", "tensorrt", "torch", "onnx", "pycuda", "cuda", "cleftedge.export",
         "cleftedge.calibration")


def test_runtime_imports_no_heavy_package():
    code = ("import sys\n"
            "import cleftedge.runtime.model, cleftedge.runtime.model_spec, cleftedge.runtime.cuda\n"
            "from cleftedge.runtime.backends import backend_class\n"
            "for name in ('onnxruntime', 'openvino', 'tensorrt'):\n"
            "    backend_class(name)\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("backend, module, extra", [("onnxruntime", "onnxruntime", "onnxruntime"),
                                                    ("openvino", "openvino", "openvino")])
def test_missing_backend_package_names_the_extra(tmp_path, monkeypatch, backend, module, extra):
    path = make_onnx(tmp_path / "m.onnx", make_spec())
    monkeypatch.setitem(sys.modules, module, None)  # what an install without that package looks like
    with pytest.raises(CleftEdgeError) as err:
        open_backend(path, backend, cache_dir="") if backend == "openvino" else open_backend(path, backend)
    line = str(err.value)
    assert f"{module} is not installed" in line and f"pip install 'cleftedge[{extra}]'" in line and "\n" not in line
