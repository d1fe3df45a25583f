"""A cart installs only the runtime: importing every runtime module must not pull in torch, the
export package or the calibration package."""

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import cleftedge.runtime as rt
for m in pkgutil.walk_packages(rt.__path__, "cleftedge.runtime."):
    importlib.import_module(m.name)
import cleftedge.commands.run, cleftedge.commands.bench
bad = sorted(n for n in sys.modules if n == "torch" or n.startswith(("torch.", "cleftedge.export",
             "cleftedge.calibration", "nncf")))
print(",".join(bad))
"""


def test_runtime_imports_no_build_host_packages():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
