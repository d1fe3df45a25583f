"""cuda-python's runtime API surface (`cuda.bindings.runtime`) for one release, by importing that
release's wheel in a subprocess (it imports without a GPU) and listing its names: functions,
enums with their members, and the attributes of its classes (e.g. cudaDeviceProp)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

MODULE = "cuda.bindings.runtime"

# Runs inside the subprocess, with only the downloaded package on its path.
_INTROSPECT = r"""
import importlib, json, sys
sys.path.insert(0, sys.argv[2])
m = importlib.import_module(sys.argv[1])
functions, classes = [], {}
for name in sorted(dir(m)):
    if name.startswith("_"):
        continue
    obj = getattr(m, name)
    if isinstance(obj, type):
        members = getattr(obj, "__members__", None)
        if members is not None:
            classes[name] = {"kind": "enum", "values": sorted(members)}
        else:
            classes[name] = {"kind": "class", "attributes": sorted(a for a in dir(obj) if not a.startswith("_"))}
    elif callable(obj):
        functions.append(name)
import cuda.bindings
print(json.dumps({"version": getattr(cuda.bindings, "__version__", None), "functions": functions,
                  "classes": classes}))
"""


def installed_surface(package: str, python: str = sys.executable) -> dict:
    """Install `package` (e.g. "cuda-bindings==12.9.4") into a temporary folder with pip and list
    its runtime module's names; nothing is installed into the running environment."""
    with tempfile.TemporaryDirectory() as target:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, package],
                       check=True)
        out = subprocess.run([python, "-I", "-c", _INTROSPECT, MODULE, target], check=True, capture_output=True,
                             text=True)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        files = sorted(str(p.relative_to(target)) for p in Path(target).glob("*.dist-info"))
    data["dist_info"] = files
    return data
