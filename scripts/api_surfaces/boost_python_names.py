"""The Python names a Boost.Python binding file defines (pycuda's src/wrapper/wrap_cudadrv.cpp):
py::class_<...>("Name") / py::enum_<...>("name") chains with .def, the DEF_SIMPLE_* macros of
pycuda's wrap_helpers.hpp, .add_property, .staticmethod, .value; module py::def and DEF_SIMPLE_FUNCTION."""

from __future__ import annotations

import re

from cpp_text import balanced, skip_space, split_args, string_literal
from pybind_names import Bindings, PyClass

_START = re.compile(r"\bpy::(class_|enum_)\s*<")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_ARGS = re.compile(r"py::args?\s*\(([^()]*)\)(\s*=\s*[^,()]+)?")
METHOD_MACROS = {"DEF_SIMPLE_METHOD", "DEF_SIMPLE_METHOD_WITH_ARGS"}
MEMBER_MACROS = {"DEF_SIMPLE_RO_MEMBER": "readonly", "DEF_SIMPLE_RW_MEMBER": "property"}
IGNORED = {"export_values", "def_pickle", "enable_pickling"}


def read_boost_bindings(text: str, out: Bindings | None = None) -> Bindings:
    out = out or Bindings()
    for m in _START.finditer(text):
        t_end = balanced(text, m.end() - 1)
        i = skip_space(text, t_end)
        var = _IDENT.match(text, i)
        if var:  # py::class_<cl> cls("array3d_flags", ...);
            i = skip_space(text, var.end())
        if i >= len(text) or text[i] != "(":
            continue
        a_end = balanced(text, i)
        args = split_args(text[i + 1:a_end - 1])
        name = string_literal(args[0]) if args else None
        if name is None:
            continue
        cls = out.classes.setdefault(name, PyClass(name, "enum" if m.group(1) == "enum_" else "class", name, []))
        _chain(text, a_end, cls)
    for m in re.finditer(r"\bpy::def\s*\(|\bDEF_SIMPLE_FUNCTION(?:_WITH_ARGS)?\s*\(", text):
        start = m.end() - 1
        args = split_args(text[start + 1:balanced(text, start) - 1])
        name = string_literal(args[0]) if m.group(0).startswith("py::def") else args[0].strip()
        if name:
            sig = _signature(args[1:])
            known = out.functions.get(name, [])
            out.functions[name] = None if sig is None or (name in out.functions and known is None) else \
                known + [sig]  # overloads; None: one of them names no arguments
    for m in re.finditer(r'py::scope\(\)\s*\.\s*attr\(\s*"(\w+)"\s*\)', text):
        out.attributes.add(m.group(1))
    return out


def _chain(text: str, i: int, cls: PyClass) -> None:
    while True:
        j = skip_space(text, i)
        if j >= len(text) or text[j] != ".":
            return
        ident = _IDENT.match(text, skip_space(text, j + 1))
        if not ident:
            return
        k = skip_space(text, ident.end())
        if k >= len(text) or text[k] != "(":
            return
        end = balanced(text, k)
        _member(ident.group(0), split_args(text[k + 1:end - 1]), cls)
        i = end


def _member(call: str, args: list[str], cls: PyClass) -> None:
    first = args[0].strip() if args else ""
    if call == "def":
        name = string_literal(first)
        if name:
            cls.add_method(name, _signature(args[2:]))
    elif call in METHOD_MACROS:
        cls.add_method(first, _signature(args[1:]))
    elif call in MEMBER_MACROS:
        (cls.readonly if MEMBER_MACROS[call] == "readonly" else cls.properties).add(first)
    elif call in ("add_property", "add_static_property"):
        (cls.properties if len(args) > 2 else cls.readonly).add(string_literal(first))
    elif call in ("def_readonly", "def_readwrite"):
        (cls.readonly if call == "def_readonly" else cls.properties).add(string_literal(first))
    elif call == "staticmethod":
        cls.static.add(string_literal(first))
    elif call == "value":
        cls.values.add(string_literal(first))
    elif call not in IGNORED:
        raise ValueError(f"unknown Boost.Python call .{call}( on {cls.name}: decide it in boost_python_names")


def _signature(extra: list[str]) -> list[str] | None:
    """Keyword names from py::arg("x") / py::args("self", "x") = default ("x?" with a default);
    None when the binding names none."""
    names = []
    for arg in extra:
        for m in _ARGS.finditer(arg):
            group = [n for n in re.findall(r'"(\w+)"', m.group(1)) if n != "self"]
            if group and m.group(2):
                group[-1] += "?"
            names += group
    return names if names else None
