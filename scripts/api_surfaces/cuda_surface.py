"""cuda-python's runtime API surface (`cuda.bindings.runtime`) for one release: that release's wheel
is installed into a temporary folder and imported in a subprocess (it imports without a GPU), and
its names are listed: functions, enums with their members, the attributes of its classes (e.g.
cudaDeviceProp). `runtime_surface` lists the module that is importable here (the installed line)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MODULE = "cuda.bindings.runtime"
HERE = Path(__file__).resolve().parent


def runtime_surface(module: str = MODULE) -> dict:
    """{"version", "functions": [...], "classes": {name: {"kind": "enum", "values"} | {"kind": "class",
    "attributes"}}} of an importable module (enums recognised by __members__: 12.x uses enum.IntEnum,
    13.x its own FastEnum)."""
    m = importlib.import_module(module)
    functions, classes = [], {}
    for name in sorted(dir(m)):
        if name.startswith("_"):
            continue
        obj = getattr(m, name)
        if isinstance(obj, type):
            members = getattr(obj, "__members__", None)
            classes[name] = ({"kind": "enum", "values": sorted(members)} if members is not None else
                             {"kind": "class", "attributes": sorted(a for a in dir(obj) if not a.startswith("_"))})
        elif callable(obj):
            functions.append(name)
    bindings = importlib.import_module(module.rsplit(".", 1)[0])
    return {"version": getattr(bindings, "__version__", None), "functions": functions, "classes": classes}


def installed_surface(package: str, python: str = sys.executable) -> dict:
    """Install `package` (e.g. "cuda-bindings==13.0.0") into a temporary folder with pip and list its
    runtime module in a subprocess that sees only that folder; nothing is installed here."""
    with tempfile.TemporaryDirectory() as target:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, package],
                       check=True)
        code = ("import json, sys; sys.path[:0] = sys.argv[1:3]; import cuda_surface; "
                "print(json.dumps(cuda_surface.runtime_surface()))")
        out = subprocess.run([python, "-I", "-c", code, target, str(HERE)], check=True, capture_output=True,
                             text=True)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        data["dist_info"] = sorted(p.name for p in Path(target).glob("*.dist-info"))
    return data
