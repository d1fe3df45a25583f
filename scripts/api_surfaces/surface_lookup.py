"""Reading the committed API name lists (tests/conformance/surfaces/*.json): which names a module
and a class have, with inheritance resolved, for the TensorRT, cuda-python and pycuda lists alike."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MEMBER_KINDS = {"methods": "method", "properties": "property", "readonly": "readonly", "static": "static",
                "values": "value", "nested": "nested", "python_attributes": "python", "attributes": "property"}
ENUM_INSTANCE = {"name", "value"}  # what every pybind11 / Python enum member has


@cache
def load(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text())
    if data.get("kind") != "cleftedge.api_surface":
        raise ValueError(f"{path} is not an API surface file")
    return data


def modules(surface: dict) -> dict[str, dict]:
    """{module name: {"functions": {...}, "attributes": [...]}}; TensorRT's and cuda-python's
    single module are named by the library."""
    if "modules" in surface:
        return surface["modules"]
    name = {"tensorrt": "tensorrt", "cuda-python": "cuda.bindings.runtime"}[surface["library"]]
    functions = surface["module"]["functions"]
    if isinstance(functions, list):  # cuda-python's lists: names only, no keyword names
        functions = dict.fromkeys(functions)
    return {name: {"functions": functions, "attributes": surface["module"].get("attributes", [])}}


def module_names(surface: dict, module: str | None = None) -> dict[str, str]:
    """name -> "function" | "attribute" | "class" for a module (the classes are the top-level ones)."""
    mods = modules(surface)
    mod = mods[module] if module else next(iter(mods.values()))
    found = {n: "attribute" for n in mod.get("attributes", [])}
    found.update({n: "function" for n in mod.get("functions", {})})
    if module in (None, "tensorrt", "cuda.bindings.runtime", "pycuda.driver"):
        found.update({n: "class" for n in surface["classes"] if "." not in n})
    return found


def class_members(surface: dict, cls: str) -> dict[str, str]:
    """member name -> kind for class `cls`, including what its bases define."""
    classes = surface["classes"]
    found: dict[str, str] = {}
    todo, seen = [cls], set()
    while todo:
        name = todo.pop(0)
        if name in seen or name not in classes:
            continue
        seen.add(name)
        entry = classes[name]
        for key, kind in MEMBER_KINDS.items():
            for member in entry.get(key, []):
                found.setdefault(member, kind)
        todo += entry.get("bases", [])
    return found


def signatures(surface: dict, cls: str | None, name: str) -> list[list[str]] | None:
    """The keyword lists of a method's overloads (cls None: a module function); None when unknown."""
    if cls is None:
        for mod in modules(surface).values():
            if name in mod.get("functions", {}):
                return mod["functions"][name]
        return None
    todo, seen = [cls], set()
    while todo:
        c = todo.pop(0)
        if c in seen or c not in surface["classes"]:
            continue
        seen.add(c)
        methods = surface["classes"][c].get("methods", {})
        if name in methods:
            return methods[name]
        todo += surface["classes"][c].get("bases", [])
    return None


def is_enum(surface: dict, cls: str) -> bool:
    return surface["classes"].get(cls, {}).get("kind") == "enum"


def has_dotted(surface: dict, dotted: str) -> bool:
    """Whether "Class.member" (or "Outer.Inner.member", or a module-level "name") exists."""
    parts = dotted.split(".")
    if len(parts) == 1:
        return parts[0] in module_names(surface)
    cls, member = ".".join(parts[:-1]), parts[-1]
    return cls in surface["classes"] and member in class_members(surface, cls)
