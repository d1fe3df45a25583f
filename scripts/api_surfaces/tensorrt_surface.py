"""TensorRT's Python API surface for one release, from NVIDIA's binding sources (the NVIDIA/TensorRT
repository's python/src/**/*.cpp and python/packaging/bindings_wheel/tensorrt/__init__.py at a
release branch), cross-checked against the strings of that release's `tensorrt-cuXX-bindings` wheel."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from cpp_text import preprocess, strip_comments
from pybind_names import Bindings, bases_of, read_bindings
from python_names import read_python_layer

# Every preprocessor condition in the binding sources, decided once (an unknown one stops the script).
CONDITIONS = {
    # tensorrt_EXPORTS is defined when CMake builds the full `tensorrt` module (not tensorrt_lean/_dispatch)
    "EXPORT_ALL_BINDINGS": True,
    "ENABLE_INETWORK_SERIALIZE": False,  # defined nowhere in the repository: INetworkDefinition.serialize is not bound
    # the wheels are built with pybind11 >= 2.6 (the #else branch)
    "PYBIND11_VERSION_MAJOR < 2 || PYBIND11_VERSION_MAJOR == 2 && PYBIND11_VERSION_MINOR < 6": False,
    "defined(_WIN32)": False,  # Linux (Jetson, x86-64)
}
INIT_PY = "python/packaging/bindings_wheel/tensorrt/__init__.py"
REPOSITORY = "https://github.com/NVIDIA/TensorRT"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def sources_surface(repo: Path, ref: str) -> dict:
    """The surface of the binding sources at `ref` (a release branch of NVIDIA/TensorRT)."""
    files = sorted(f for f in git(repo, "ls-tree", "-r", "--name-only", ref, "python/src").split()
                   if f.endswith(".cpp"))
    bindings, used = Bindings(), {}
    for f in files:
        read_bindings(preprocess(strip_comments(git(repo, "show", f"{ref}:{f}")), CONDITIONS, used), bindings)
    python_layer = read_python_layer(git(repo, "show", f"{ref}:{INIT_PY}"))
    surface = assemble(bindings, python_layer)
    surface["source"] = {"kind": "binding sources", "repository": REPOSITORY, "ref": ref,
                         "commit": git(repo, "rev-parse", ref).strip(), "files": files + [INIT_PY],
                         "preprocessor": dict(sorted(used.items()))}
    return surface


def assemble(bindings: Bindings, python_layer: dict) -> dict:
    """One JSON-able surface: module names and, per class, its members (inheritance kept as bases)."""
    by_cpp = {c.cpp: c.name for c in bindings.classes.values() if "." not in c.name}
    classes = {}
    for c in bindings.classes.values():
        classes[c.name] = {"kind": c.kind, "bases": bases_of(c, by_cpp), "methods": dict(sorted(c.methods.items())),
                           "properties": sorted(c.properties), "readonly": sorted(c.readonly),
                           "static": sorted(c.static), "values": sorted(c.values), "nested": [],
                           "python_attributes": []}
    for c in bindings.classes.values():
        if "." in c.name:
            parent = c.name.rsplit(".", 1)[0]
            classes[parent]["nested"].append(c.name.rsplit(".", 1)[1])
            if c.exported_to is not None:  # export_values(): trt.ILogger.WARNING
                classes[parent]["values"] = sorted(set(classes[parent]["values"]) | c.values)
    for cls, attrs in python_layer["class_attributes"].items():
        if cls in classes:
            classes[cls]["python_attributes"] = sorted(set(classes[cls]["python_attributes"]) | set(attrs))
    for target, source in python_layer["copies"]:  # setattr(Logger, attr, value) for ILogger.Severity
        src = classes.get(source)
        if target in classes and src is not None:
            attrs = set(classes[target]["python_attributes"]) | set(src["values"])
            classes[target]["python_attributes"] = sorted(attrs)
    functions = {**{k: v for k, v in sorted(bindings.functions.items())}, **python_layer["functions"]}
    return {"module": {"functions": dict(sorted(functions.items())),
                       "attributes": sorted(bindings.attributes | set(python_layer["attributes"]))},
            "classes": dict(sorted(classes.items()))}


def surface_names(surface: dict) -> set[str]:
    """Every identifier in a surface (class names, members, values, module names)."""
    names = set(surface["module"]["functions"]) | set(surface["module"]["attributes"])
    for name, c in surface["classes"].items():
        names.add(name.rsplit(".", 1)[-1])
        for key in ("methods", "properties", "readonly", "static", "values", "python_attributes"):
            names |= set(c[key])
    return {n for n in names if not n.startswith("__")}


def wheel_binary(wheel: Path) -> tuple[str, bytes]:
    """The compiled `tensorrt` module inside a tensorrt-cuXX-bindings wheel (path, bytes)."""
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.rsplit("/", 1)[-1].startswith("tensorrt") and ".so" in n]
        if len(names) != 1:
            raise ValueError(f"{wheel.name}: expected one tensorrt*.so, found {names}")
        return names[0], z.read(names[0])


def wheel_init(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.endswith("/__init__.py") and n.count("/") == 1]
        return z.read(names[0]).decode()


def in_strings(name: str, binary: bytes) -> bool:
    """Whether `name` is a NUL-terminated string in the binary (also as the tail of a longer
    one: linkers merge string literals by suffix, so "INT8" may live inside "UINT8")."""
    return name.encode() + b"\0" in binary


def cross_check(surface: dict, wheel: Path, sha256: str) -> dict:
    """Every name of the sources must be in the wheel: in its compiled module's strings, or (for the
    Python layer) in its __init__.py."""
    path, binary = wheel_binary(wheel)
    layer = read_python_layer(wheel_init(wheel))
    python_names = set(layer["functions"]) | set(layer["attributes"]) | {
        a for attrs in layer["class_attributes"].values() for a in attrs}
    missing = sorted(n for n in surface_names(surface) if not in_strings(n, binary) and n not in python_names)
    return {"wheel": wheel.name, "sha256": sha256, "module": path, "names_not_in_wheel": missing}


def filtered_by_wheel(base: dict, wheel: Path) -> dict:
    """For a release whose sources are not public: `base` (the nearest earlier release's sources)
    with every name its wheel's strings lack removed, and the wheel's own Python layer."""
    _, binary = wheel_binary(wheel)
    classes = {}
    for name, c in base["classes"].items():
        if not in_strings(name.rsplit(".", 1)[-1], binary):
            continue
        kept = {k: (v if k in ("kind", "bases", "nested") else
                    ({m: s for m, s in v.items() if m.startswith("__") or in_strings(m, binary)} if k == "methods"
                     else [n for n in v if n.startswith("__") or in_strings(n, binary)]))
                for k, v in c.items()}
        classes[name] = kept
    layer = read_python_layer(wheel_init(wheel))
    functions = {k: v for k, v in base["module"]["functions"].items() if in_strings(k, binary)}
    functions.update(layer["functions"])
    attributes = {a for a in base["module"]["attributes"] if in_strings(a, binary)} | set(layer["attributes"])
    for cls, attrs in layer["class_attributes"].items():
        if cls in classes:
            classes[cls]["python_attributes"] = sorted(set(attrs) | set(classes[cls]["python_attributes"]))
    return {"module": {"functions": dict(sorted(functions.items())), "attributes": sorted(attributes)},
            "classes": classes}
