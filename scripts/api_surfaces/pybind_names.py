"""The Python names a set of pybind11 binding sources defines: per class its methods (with the
keyword names of each overload where the binding gives them), settable and read-only properties,
static members, enum values, bases, nested classes; module functions and attributes.

Reads py::class_ / py::enum_ / py::bind_vector statements, their .def* / .value chains, later
chains on a class bound to a variable, and m.def / m.attr / m.add_object."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cpp_text import balanced, skip_space, split_args, string_literal

_START = re.compile(r"\bpy::(class_|enum_|bind_vector)\s*<")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_KWARG = re.compile(r'^(?:"(\w+)"_a|py::arg\(\s*"(\w+)"\s*\))(\s*=.*)?$', re.S)
DEFS = {"def": "method", "def_static": "static", "def_property": "property", "def_readwrite": "property",
        "def_property_readonly": "readonly", "def_readonly": "readonly", "def_property_static": "static_property",
        "def_property_readonly_static": "static_readonly", "def_readonly_static": "static_readonly",
        "def_readwrite_static": "static_property", "value": "value", "def_buffer": None, "export_values": None}


@dataclass
class PyClass:
    name: str  # the Python name, qualified for nested classes ("ILogger.Severity")
    kind: str  # "class" | "enum" | "vector"
    cpp: str  # the C++ type
    template: list[str]
    methods: dict[str, list[list[str]] | None] = field(default_factory=dict)  # overloads; None: not annotated
    properties: set[str] = field(default_factory=set)  # settable
    readonly: set[str] = field(default_factory=set)
    static: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)
    exported_to: str | None = None  # export_values(): the values are also attributes of this scope

    def add_method(self, name: str, signature: list[str] | None) -> None:
        if name in self.methods and self.methods[name] is None:
            return
        if signature is None:
            self.methods[name] = None  # one unannotated overload: arity unknown, not checked
        else:
            self.methods.setdefault(name, [])
            if signature not in self.methods[name]:
                self.methods[name].append(signature)


@dataclass
class Bindings:
    classes: dict[str, PyClass] = field(default_factory=dict)
    functions: dict[str, list[list[str]] | None] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)


def read_bindings(text: str, out: Bindings | None = None) -> Bindings:
    """Every binding statement in `text` (comments stripped, preprocessor resolved)."""
    out = out or Bindings()
    variables: dict[str, str] = {}  # C++ variable -> Python class name
    for m in _START.finditer(text):
        _class_statement(text, m, out, variables)
    for var, cls in variables.items():
        for m in re.finditer(rf"(?<![\w.]){re.escape(var)}\s*(?=\.)", text):
            _chain(text, m.end(), out.classes[cls])
    _module_level(text, out)
    return out


def _class_statement(text: str, m: re.Match, out: Bindings, variables: dict[str, str]) -> None:
    kind = {"class_": "class", "enum_": "enum", "bind_vector": "vector"}[m.group(1)]
    t_open = m.end() - 1
    t_end = balanced(text, t_open)
    template = split_args(text[t_open + 1:t_end - 1])
    i = skip_space(text, t_end)
    var = None
    ident = _IDENT.match(text, i)
    if ident:  # py::class_<X> name{m, "X", ...}
        var = ident.group(0)
        i = skip_space(text, ident.end())
    if i >= len(text) or text[i] not in "({":
        return  # a type mention (e.g. a return type), not a binding
    a_end = balanced(text, i)
    args = split_args(text[i + 1:a_end - 1])
    if len(args) < 2 or string_literal(args[1]) is None:
        return
    scope, name = args[0].strip(), string_literal(args[1])
    assigned = re.search(r"(?:auto|py::class_<[^;]*>)\s+(\w+)\s*=\s*$", text[max(0, m.start() - 200):m.start()])
    var = var or (assigned.group(1) if assigned else None)
    parent = variables.get(scope)
    qualified = f"{parent}.{name}" if parent else name
    cls = out.classes.get(qualified) or PyClass(qualified, kind, _base_name(template[0]), template)
    out.classes[qualified] = cls
    if var:
        variables[var] = qualified
    _chain(text, a_end, cls, parent)


def _chain(text: str, i: int, cls: PyClass, parent: str | None = None) -> int:
    """Read `.def(...)` calls that follow position i; return the position after the chain."""
    while True:
        j = skip_space(text, i)
        if j >= len(text) or text[j] != ".":
            return i
        ident = _IDENT.match(text, skip_space(text, j + 1))
        if not ident:
            return i
        k = skip_space(text, ident.end())
        if k >= len(text) or text[k] != "(":
            return i
        end = balanced(text, k)
        _member(ident.group(0), split_args(text[k + 1:end - 1]), cls, parent)
        i = end


def _member(call: str, args: list[str], cls: PyClass, parent: str | None) -> None:
    kind = DEFS.get(call, "unknown")
    if kind == "unknown":
        raise ValueError(f"unknown binding call .{call}( on {cls.name}: add it to DEFS")
    if call == "export_values":
        cls.exported_to = parent or ""
        return
    if kind is None or not args:
        return
    name = string_literal(args[0])
    if name is None:
        if call == "def" and args[0].startswith("py::init"):
            no_args = re.fullmatch(r"py::init\s*<\s*>\s*\(\s*\)", args[0]) is not None
            cls.add_method("__init__", signature(args[1:]) or ([] if no_args else None))
        return
    if kind == "value":
        cls.values.add(name)
    elif kind in ("method", "static"):
        cls.add_method(name, signature(args[2:]))
        if kind == "static":
            cls.static.add(name)
    elif kind == "property":
        setter = args[2].strip() if len(args) > 2 else "nullptr"
        (cls.properties if call == "def_readwrite" or setter != "nullptr" else cls.readonly).add(name)
    elif kind == "readonly":
        cls.readonly.add(name)
    else:  # static properties
        cls.static.add(name)


def signature(extra: list[str]) -> list[str] | None:
    """Keyword names from "x"_a / py::arg("x") annotations ("x?" when it has a default);
    None when the binding names none (its arity is then unknown)."""
    names = []
    for arg in extra:
        m = _KWARG.match(arg.strip())
        if m:
            names.append((m.group(1) or m.group(2)) + ("?" if m.group(3) else ""))
    return names if names else None


def _module_level(text: str, out: Bindings) -> None:
    for m in re.finditer(r"(?<![\w.])m\s*\.\s*(def|attr|add_object)\s*\(", text):
        start = m.end() - 1
        args = split_args(text[start + 1:balanced(text, start) - 1])
        name = string_literal(args[0]) if args else None
        if name is None:
            continue
        if m.group(1) == "def":
            sig = signature(args[2:])
            if name in out.functions and out.functions[name] is not None and sig is not None:
                out.functions[name].append(sig)
            else:
                out.functions[name] = None if sig is None else [sig]
        else:
            out.attributes.add(name)


def _base_name(cpp: str) -> str:
    return re.sub(r"^.*::", "", cpp.strip())


def bases_of(cls: PyClass, by_cpp: dict[str, str]) -> list[str]:
    """The bound classes among a py::class_'s extra template arguments (others are holders or trampolines)."""
    return [by_cpp[_base_name(t)] for t in cls.template[1:] if _base_name(t) in by_cpp
            and by_cpp[_base_name(t)] != cls.name]
