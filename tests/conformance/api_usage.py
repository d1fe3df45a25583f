"""Which names of a library (TensorRT, cuda-python, pycuda) a Python file uses, read from its AST:
module attributes (`trt.Builder`), class and enum members (`trt.BuilderFlag.INT8`), and the methods
and properties used on the library's objects (`config.set_flag(...)`, `runtime.DLA_core = 0`), with
the keywords and number of positional arguments of each call.

Objects are typed by following assignments from the library's constructors and from the methods in
the library's `returns` table, across methods through `self.x` and function return values;
parameters are typed by their role name (`builder`, `engine`, ...). An attribute used on the result
of a library call whose type the table does not know is reported (owner "?"), so that nothing is
passed over silently."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

PY = "py"  # a plain Python value (str, bool, tuple, int): not checked further
ROUNDS = 3  # self.x and return types flow between methods in any order: walk until they settle


@dataclass(frozen=True)
class Library:
    name: str  # the surface files' "library"
    imports: dict[str, str]  # importable module -> module name in the surface
    roles: dict[str, str] = field(default_factory=dict)  # parameter/attribute name -> class
    returns: dict[tuple[str, str], str] = field(default_factory=dict)  # (class|module, method) -> class|"enum:E"|PY
    module_params: tuple[str, ...] = ()  # parameters that receive the module itself (`def _config(trt, ...)`)
    module_functions: tuple[str, ...] = ()  # project functions, imported from elsewhere, that return the module
    nested: frozenset[str] = frozenset()  # nested class names (trt.ILogger.Severity)
    classes: frozenset[str] = frozenset()  # the module's classes, where their names are not Capitalised

    def is_class(self, attr: str) -> bool:
        return attr in self.classes or attr[:1].isupper()


@dataclass(frozen=True)
class Use:
    file: str
    line: int
    owner: str | None  # class ("BuilderFlag"); None: a module name; "?": the result of an untyped call
    name: str
    kind: str  # "load" | "store" | "call" | "value" (an attribute of an enum member)
    module: str = ""  # for owner None: which module
    positional: int = 0  # positional arguments of a call; -1 with *args
    keywords: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner else self.name

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def uses_in(path: Path, lib: Library, root: Path) -> list[Use]:
    """Every use of `lib` in one file ([] when the file does not import it)."""
    text = path.read_text()
    if not any(f'"{m}"' in text or f"import {m}" in text or f"from {m.rsplit('.', 1)[0]} import" in text
               for m in lib.imports) and not any(f in text for f in lib.module_functions):
        return []  # cannot import the library: spare the parse
    return uses_in_source(text, lib, str(path.relative_to(root)))


def uses_in_source(source: str, lib: Library, name: str = "<snippet>") -> list[Use]:
    tree = ast.parse(source, name)
    walker = _Walker(lib, name)
    if not walker.find_aliases(tree):
        return []
    for _ in range(ROUNDS):
        walker.uses = []
        walker.visit(tree)
    return walker.uses


def python_files(root: Path, folders: tuple[str, ...]) -> list[Path]:
    return sorted(p for folder in folders if (root / folder).is_dir() for p in (root / folder).rglob("*.py"))


class _Walker(ast.NodeVisitor):
    def __init__(self, lib: Library, file: str):
        self.lib, self.file = lib, file
        self.aliases: dict[str, str] = {}  # "trt", "self._trt" -> surface module
        self.module_functions: dict[str, str] = {}  # functions that return the module (_import_tensorrt)
        self.attr_types: dict[str, tuple] = {}  # "self.engine" -> type, file-wide
        self.func_types: dict[str, tuple] = {}  # "_deserialize" -> return type, file-wide
        self.env: dict[str, tuple] = {}
        self.params: set[str] = set()
        self.uses: list[Use] = []

    # --- the module's own names ----------------------------------------------------------
    def import_call(self, node: ast.AST) -> str | None:
        """require("tensorrt", ...), pytest.importorskip("tensorrt"), importlib.import_module(...)."""
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            if (dotted(node.func) or "").rsplit(".", 1)[-1] in ("require", "importorskip", "import_module"):
                return self.lib.imports.get(node.args[0].value)
        return None

    def alias_of(self, node: ast.AST) -> str | None:
        name = dotted(node)
        if name in self.aliases:
            return self.aliases[name]
        if isinstance(node, ast.Name) and node.id in self.params:
            return next(iter(self.lib.imports.values()))
        if isinstance(node, ast.Call):
            func = (dotted(node.func) or "").rsplit(".", 1)[-1]
            if func in self.lib.module_functions:
                return next(iter(self.lib.imports.values()))
            return self.import_call(node) or self.module_functions.get(func)
        return None

    def find_aliases(self, tree: ast.Module) -> bool:
        """Collect the names bound to the library (imports, assignments, functions returning it), in ROUNDS
        passes so that an alias of an alias is found; True when the module uses the library at all."""
        for _ in range(ROUNDS):
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    self._import_aliases(node)
                elif isinstance(node, ast.Assign) and self.alias_of(node.value):
                    for t in node.targets:
                        if dotted(t):
                            self.aliases[dotted(t)] = self.alias_of(node.value)
                elif isinstance(node, ast.FunctionDef):
                    for ret in _returns(node):
                        if self.alias_of(ret.value):
                            self.module_functions[node.name] = self.alias_of(ret.value)
        return bool(self.aliases or self.module_functions)

    def _import_aliases(self, node: ast.Import | ast.ImportFrom) -> None:
        """`import tensorrt as trt`, `from cuda import cudart`: the local name of each library module."""
        if isinstance(node, ast.ImportFrom) and not node.module:
            return
        for a in node.names:
            full = a.name if isinstance(node, ast.Import) else f"{node.module}.{a.name}"
            if full in self.lib.imports:
                self.aliases[a.asname or a.name] = self.lib.imports[full]

    # --- scopes ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        saved = self.env, self.params
        self.env = {}
        self.params = {a.arg for a in node.args.args if a.arg in self.lib.module_params}
        for stmt in node.body:
            self.visit(stmt)
        typed = [t for t in (self.type_of(r.value) for r in _returns(node)) if t[0] != PY]
        if typed:
            self.func_types[node.name] = typed[0]
        self.env, self.params = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        t = self.type_of(node.value)
        for target in node.targets:
            self.bind(target, t)
            if not isinstance(target, ast.Name):
                self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self.bind(node.target, self.type_of(node.value))
        if not isinstance(node.target, ast.Name):
            self.visit(node.target)

    def bind(self, target: ast.AST, t: tuple) -> None:
        name = dotted(target)
        if name is None or name in self.aliases:
            return
        if isinstance(target, ast.Name):
            self.env[name] = t
        elif name.startswith("self.") and name.count(".") == 1 and t[0] != PY:
            self.attr_types[name] = t

    # --- types: ("module", m) ("ref", Class) ("inst", Class) ("value", Enum) ("unknown", "C.m") (PY,)
    def type_of(self, node: ast.AST) -> tuple:
        module = self.alias_of(node)
        if module:
            return ("module", module)
        if isinstance(node, ast.Name):
            return self.env.get(node.id) or self.role(node.id)
        if isinstance(node, ast.Attribute):
            name = dotted(node) or ""
            if name in self.attr_types:
                return self.attr_types[name]
            base = self.type_of(node.value)
            if base[0] == "module":
                return ("ref", node.attr) if self.lib.is_class(node.attr) else (PY,)
            if base[0] == "ref":
                return ("ref", f"{base[1]}.{node.attr}") if node.attr in self.lib.nested else ("value", base[1])
            if name.startswith("self.") and name.count(".") == 1:
                return self.role(node.attr)
            return (PY,)
        if isinstance(node, ast.Call):
            return self.call_type(node)
        return (PY,)

    def call_type(self, node: ast.Call) -> tuple:
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = self.type_of(func.value)
            if owner[0] == "inst" or (owner[0] == "module" and (owner[1], func.attr) in self.lib.returns):
                return self.returned(owner[1], func.attr)
            if owner[0] == "module" and self.lib.is_class(func.attr):
                return ("inst", func.attr)  # a constructor: trt.Builder(logger)
            if owner[0] in ("module", "ref", "value", "unknown"):
                return (PY,)
        if self.type_of(func)[0] == "ref":
            return ("inst", self.type_of(func)[1])
        return self.func_types.get((dotted(func) or "").rsplit(".", 1)[-1], (PY,))

    def returned(self, owner: str, method: str) -> tuple:
        t = self.lib.returns.get((owner, method))
        if t is None:
            return ("unknown", f"{owner}.{method}")
        if t == PY:
            return (PY,)
        return ("value", t[5:]) if t.startswith("enum:") else ("inst", t)

    def role(self, name: str) -> tuple:
        cls = self.lib.roles.get(name.lstrip("_"))
        return ("inst", cls) if cls else (PY,)

    # --- uses -----------------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.use(node, node.value, node.attr, "store" if isinstance(node.ctx, ast.Store) else "load")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self.use(func, func.value, func.attr, "call", node)
            if self.type_of(func.value)[0] == "module" and self.lib.is_class(func.attr):
                self.record(func, func.attr, "__init__", "call", node)
            self.visit(func.value)
        else:
            if self.type_of(func)[0] == "ref":
                self.record(func, self.type_of(func)[1], "__init__", "call", node)
            if isinstance(func, ast.Name) and func.id in ("getattr", "hasattr") and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                self.use(node, node.args[0], node.args[1].value, "load")
            self.visit(func)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    def use(self, node: ast.AST, value: ast.AST, attr: str, kind: str, call: ast.Call | None = None) -> None:
        if attr.startswith("__") and attr != "__version__":
            return
        base = self.type_of(value)
        if base[0] == "module":
            self.record(node, None, attr, kind, call, module=base[1])
        elif base[0] in ("ref", "inst"):
            self.record(node, base[1], attr, kind, call)
        elif base[0] == "value":
            self.record(node, base[1], attr, "value", call)
        elif base[0] == "unknown":
            self.record(node, "?", f"{base[1]}() result .{attr}", kind, call)

    def record(self, node: ast.AST, owner: str | None, name: str, kind: str, call: ast.Call | None,
               module: str = "") -> None:
        positional = 0
        if call is not None:
            positional = -1 if any(isinstance(a, ast.Starred) for a in call.args) else len(call.args)
        keywords = tuple(k.arg for k in call.keywords if k.arg) if call is not None else ()
        self.uses.append(Use(self.file, node.lineno, owner, name, kind, module, positional, keywords))


def _returns(func: ast.FunctionDef) -> list[ast.Return]:
    """The return statements of `func` itself (not of functions or classes nested in it)."""
    found, todo = [], list(func.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return found
