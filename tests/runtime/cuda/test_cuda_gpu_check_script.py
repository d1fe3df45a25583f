"""scripts/gpu-check.sh on this machine: the wheelhouse it prepares holds only what the CUDA-layer
tests need and stays within 60 MiB (a larger one is refused, whole or not at all), and a venv made from
it alone (no index) runs `pytest -m gpu tests/runtime/cuda`: here, without a GPU, they skip and the script
says nothing was checked (exit 3). Needs the package registries (it downloads ~30 MB)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "gpu-check.sh"
ALLOWED = {"cleftedge", "cuda_bindings", "cuda_pathfinder", "numpy", "pytest", "iniconfig", "packaging", "pluggy",
           "pygments", "tomli", "exceptiongroup"}  # the last two only for Python < 3.11


def gpu_check(*args, **env):
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHON": sys.executable, **env})


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpu") / "wheelhouse"
    done = gpu_check("prepare", GPU_WHEELHOUSE=str(folder))
    if done.returncode != 0 and "could not download" in done.stderr:
        pytest.skip("the package registries are not reachable: " + done.stderr.strip())
    assert done.returncode == 0, done.stderr
    return folder


def test_the_wheelhouse_holds_only_what_the_cuda_tests_need_within_60_mib(wheelhouse):
    wheels = sorted(wheelhouse.glob("*.whl"))
    names = {w.name.split("-")[0].lower() for w in wheels}
    assert names - ALLOWED == set() and {"cleftedge", "cuda_bindings", "numpy", "pytest"} <= names
    assert sum(w.stat().st_size for w in wheels) <= 60 << 20
    assert next(w for w in wheels if w.name.startswith("cuda_bindings-12.")), "cuda-bindings 12.x by default"


def test_a_wheelhouse_over_the_limit_is_refused_whole(tmp_path):
    folder = tmp_path / "wheelhouse"
    done = gpu_check("prepare", GPU_WHEELHOUSE=str(folder), GPU_WHEELHOUSE_LIMIT_MIB="5")
    ours = [line for line in done.stderr.splitlines() if line.startswith("gpu-check:")]  # pip may warn too
    assert done.returncode == 1 and len(ours) == 1 and "expected at most 5 MiB" in ours[0]
    assert not folder.exists() and not (tmp_path / "wheelhouse.tmp").exists()


def test_bad_options_are_one_line():
    done = gpu_check("prepare", "--cuda", "11")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "expected 12 or 13" in done.stderr
    assert not (ROOT / "gpu-wheelhouse.tmp").exists()
    assert gpu_check("launch").stderr.startswith("gpu-check: error: unknown command 'launch'")


def test_a_venv_from_the_wheelhouse_alone_runs_the_gpu_tests(wheelhouse, tmp_path):
    done = gpu_check("run", GPU_WHEELHOUSE=str(wheelhouse), GPU_VENV=str(tmp_path / "venv"))
    out = done.stdout + done.stderr
    assert "tests/runtime/cuda/test_cuda_gpu.py" in out
    assert "ImportError" not in out and "ModuleNotFoundError" not in out  # the wheelhouse is all the tests need
    if done.returncode == 3:  # this machine: no GPU
        assert "4 skipped" in out and "nothing was checked on a GPU" in out
    else:
        assert done.returncode == 0 and "passed on" in out, out
