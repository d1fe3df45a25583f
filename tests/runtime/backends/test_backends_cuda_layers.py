"""The CUDA layer choice and the pycuda layer's release, on machines without a GPU: cuda-python is
probed as `cuda.bindings` (a bare `cuda` package is not it), the one-line message names the
cuda-python floor per JetPack, and pycuda's primary context is released from whichever thread
closes (pycuda's detach() skips the release silently from a thread that is not current)."""

import sys
import threading
import types

import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.cuda import PROBE, available_layers, choose_layer


def test_a_cuda_package_without_bindings_is_not_cuda_python(tmp_path, monkeypatch):
    # cuda-python 12.6.0's layout (cuda/__init__.py, cuda/cudart): `cuda` imports, `cuda.bindings` does not;
    # cuda-core and cuda-pathfinder alone also bring a `cuda` package
    (tmp_path / "cuda").mkdir()
    (tmp_path / "cuda" / "__init__.py").write_text("")
    (tmp_path / "cuda" / "cudart.py").write_text("")
    for name in [m for m in sys.modules if m == "cuda" or m.startswith("cuda.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert PROBE["cuda-python"] == "cuda.bindings"
    assert available_layers()["cuda-python"] is False
    import importlib.util

    from test_backends_tensorrt_smoke import _layers

    assert importlib.util.find_spec("cuda") is not None  # what the smoke test's probe looked at before
    assert "cuda-python" not in _layers()  # it skips instead of running the cuda-python layer


def test_no_cuda_layer_is_one_line_with_the_cuda_python_floor():
    with pytest.raises(CleftEdgeError) as err:
        choose_layer("auto", {"pycuda": False, "cuda-python": False})
    text = str(err.value)
    assert "\n" not in text and "neither pycuda nor cuda-python (cuda.bindings) is installed" in text
    assert "pip install 'cleftedge[tensorrt]'" in text
    assert "pip install 'cuda-python>=12.6.1,<12.7' on JetPack 6 (CUDA 12.6)" in text
    assert "'cuda-python>=13,<14' on JetPack 7 (CUDA 13)" in text and "12.6.0 has no cuda.bindings" in text


def fake_pycuda(monkeypatch):
    """pycuda's context semantics from its sources (src/cpp/cuda.hpp, v2026.1): a per-thread context
    stack; detach() releases the primary context when it is current in the calling thread or when
    called from the thread that made it, and otherwise skips the release silently."""
    state = {"released": [], "stacks": {}}

    def stack():
        return state["stacks"].setdefault(threading.get_ident(), [])

    class Context:
        def __init__(self):
            self.valid, self.thread = True, threading.get_ident()

        def push(self):
            stack().append(self)

        @staticmethod
        def pop():
            stack().pop()

        def detach(self):
            active = bool(stack()) and stack()[-1] is self
            if active or self.thread == threading.get_ident():
                state["released"].append(threading.get_ident())
            self.valid = False
            if active:
                stack().pop()

    class Device:
        def __init__(self, n):
            self.n = n

        def retain_primary_context(self):
            return Context()

    driver = types.ModuleType("pycuda.driver")
    driver.init, driver.Device, driver.Context = (lambda flags=0: None), Device, Context
    package = types.ModuleType("pycuda")
    package.driver, package.VERSION_TEXT = driver, "2026.1"
    monkeypatch.setitem(sys.modules, "pycuda", package)
    monkeypatch.setitem(sys.modules, "pycuda.driver", driver)
    return state


@pytest.mark.parametrize("same_thread", [True, False])
def test_pycuda_releases_the_primary_context_from_whichever_thread_closes(monkeypatch, same_thread):
    from cleftedge.runtime.cuda.pycuda_layer import PyCudaLayer

    state = fake_pycuda(monkeypatch)
    layer = PyCudaLayer(0)
    with layer.active():  # the backend pushes and pops around each call
        pass
    if same_thread:
        layer.close()
    else:
        closer = threading.Thread(target=layer.close)
        closer.start()
        closer.join()
    assert len(state["released"]) == 1  # exactly one release, on the thread that closed
    assert all(not s for s in state["stacks"].values())  # nothing left pushed anywhere
    layer.close()  # a second close does nothing
    assert len(state["released"]) == 1
