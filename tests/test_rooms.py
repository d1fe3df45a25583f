"""The rooms of the package and the one-way arrows between them, read from the source (AST), so a
function-level import counts like a module-level one: both run on the machine that calls them.

Rooms: the core (the package root: spec, errors, the target table, small shared utilities) and the
CLI (`cli.py`, `commands/`); `runtime` and `simulator` (the cart); `export` (build host);
`calibration` (build host, except the cart flow of `calibration/qa`, tested in
tests/test_cart_imports.py); `device_profiles`, `alert_tuning`, `reference`, `tools`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cleftedge"

# The package root: the core and the CLI; every other module lives in a room.
ROOT_MODULES = {
    "__init__", "__main__", "cli",  # the CLI
    "spec", "errors", "targets",  # the model spec, the one error type, the target table
    "atomic", "config_fields", "documents", "hashing", "lazy", "progress", "toml",  # small shared utilities
}
HEAVY = ("torch", "onnx", "nncf", "onnxscript", "onnxruntime.quantization")


@dataclass(frozen=True)
class Arrow:
    """One import: `source` imports `target` at `line` (inside a function when `lazy`)."""

    source: str
    target: str
    line: int
    lazy: bool

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}{' (in a function)' if self.lazy else ''}"


def module_name(path: Path) -> str:
    """`cleftedge/runtime/bundle/__init__.py` -> `cleftedge.runtime.bundle`."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
# Folders count as packages with or without an __init__.py (calibration/qa is a namespace package).
PACKAGES = {module_name(p / "__init__.py") for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"}


def _targets(module: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> Iterator[str]:
    """What one import statement names: `from pkg import mod` names the module `pkg.mod`, `from pkg
    import name` names `pkg`; relative imports are resolved against `module`."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        parts = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
        base = ".".join(parts + ([node.module] if node.module else []))
    for alias in node.names:
        name = f"{base}.{alias.name}"
        yield name if name in MODULES or name in PACKAGES else base


def arrows_in(module: str, source: str, is_package: bool = False) -> list[Arrow]:
    """Every import in the text of one module, module-level and function-level."""
    tree = ast.parse(source, module)
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _targets(module, node, is_package):
                found.append(Arrow(module, target, node.lineno, id(node) not in top))
    return found


def arrows_of(module: str) -> list[Arrow]:
    """Every import in one module of the package."""
    path = MODULES[module]
    return arrows_in(module, path.read_text(), path.name == "__init__.py")


ARROWS = [a for m in MODULES for a in arrows_of(m)]


def in_room(name: str, *rooms: str) -> bool:
    """Whether module `name` is one of `rooms` (dotted prefixes) or inside one."""
    return any(name == r or name.startswith(r + ".") for r in rooms)


def crossing(source_rooms: tuple[str, ...], target_rooms: tuple[str, ...]) -> list[str]:
    """Every arrow from a module in `source_rooms` to a module in `target_rooms`."""
    return [str(a) for a in ARROWS if in_room(a.source, *source_rooms) and in_room(a.target, *target_rooms)]


def test_the_graph_sees_function_level_and_relative_imports() -> None:
    """The reader itself: a lazy import inside a function is an arrow, and it is marked lazy."""
    text = ("import json\nfrom cleftedge.errors import CleftEdgeError\n"
            "def f():\n    from ..calibration import qa\n    from . import stream\n"
            "    if True:\n        import torch.nn\n")
    found = {(a.target, a.lazy) for a in arrows_in("cleftedge.runtime.model", text)}
    assert found == {("json", False), ("cleftedge.errors", False), ("cleftedge.calibration.qa", True),
                     ("cleftedge.runtime.stream", True), ("torch.nn", True)}
    package = {a.target for a in arrows_in("cleftedge.runtime.bundle", "from .verify import x\n", True)}
    assert package == {"cleftedge.runtime.bundle.verify"}
    assert len(MODULES) > 100


def test_export_never_imports_calibration() -> None:
    """Calibration uses export; what both need lives on the export side or in the core."""
    assert crossing(("cleftedge.export",), ("cleftedge.calibration",)) == []


def test_runtime_imports_no_build_host_code() -> None:
    """The cart installs the runtime: no export, calibration, reference model, CLI commands or tools,
    and none of torch, onnx, nncf, not even inside a function."""
    build_host = ("cleftedge.export", "cleftedge.calibration", "cleftedge.reference", "cleftedge.commands",
                  "cleftedge.cli", "cleftedge.tools", "cleftedge.alert_tuning", *HEAVY)
    assert crossing(("cleftedge.runtime",), build_host) == []


def test_runtime_takes_the_simulator_only_for_its_sim_source() -> None:
    """The `sim:` frame source (demos and tests on a cart) renders frames with the simulator, so the
    simulator is a cart room too: it imports numpy and OpenCV only, never the runtime or the build host."""
    users = {a.source for a in ARROWS
             if in_room(a.source, "cleftedge.runtime") and in_room(a.target, "cleftedge.simulator")}
    assert users == {"cleftedge.runtime.sources.simulator"}
    assert crossing(("cleftedge.simulator",), ("cleftedge.runtime", "cleftedge.export", "cleftedge.calibration",
                                                "cleftedge.commands", "cleftedge.cli", *HEAVY)) == []


def test_the_qa_room_needs_no_torch_onnx_nncf_or_export() -> None:
    """calibration/qa runs on the cart too: it may use the runtime, the core and the data-set readers,
    never torch, onnx, nncf, the export room or the reference model, even inside a function."""
    assert crossing(("cleftedge.calibration.qa",), (*HEAVY, "cleftedge.export", "cleftedge.reference")) == []


def test_no_room_imports_the_cli() -> None:
    """Commands call the packages; the packages never call back into the CLI (tools drive it on purpose)."""
    domain = tuple(f"cleftedge.{r}" for r in ("runtime", "export", "calibration", "simulator", "device_profiles",
                                              "alert_tuning", "reference"))
    assert crossing(domain, ("cleftedge.commands", "cleftedge.cli")) == []


def test_commands_never_import_other_commands() -> None:
    """A command module takes its logic from the packages, never from another command module."""
    pairs = {(a.source, a.target) for a in ARROWS
             if in_room(a.source, "cleftedge.commands") and in_room(a.target, "cleftedge.commands")
             and a.target != "cleftedge.commands" and a.source != a.target}
    assert pairs == set(), sorted(pairs)


def test_the_package_root_holds_only_the_core_and_the_cli() -> None:
    """Everything that is not the spec, the errors, the target table, a small shared utility or the
    CLI lives in a room (a subpackage)."""
    root = {p.stem for p in PACKAGE.glob("*.py")}
    assert root - ROOT_MODULES == set()


def test_the_core_imports_no_room() -> None:
    """The core is below every room: it imports only other core modules (the CLI discovers commands)."""
    core = tuple(f"cleftedge.{m}" for m in ROOT_MODULES - {"__init__", "__main__", "cli"})
    rooms = tuple(f"cleftedge.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert [str(a) for a in ARROWS if a.source in core and in_room(a.target, *rooms)] == []


def import_circles() -> list[list[str]]:
    """Strongly connected groups (more than one module) of the import graph inside the package. An
    import of `a.b.c` counts as an arrow to `a.b.c`, not to its parent packages (Python runs those
    first, but a package's `__init__` re-exporting a submodule is no circle)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for a in ARROWS:
        if a.target in MODULES and a.target != a.source:
            graph[a.source].add(a.target)
    return [group for group in strongly_connected(graph) if len(group) > 1]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: every strongly connected group of `graph`, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            groups.append(sorted(_pop_until(stack, v)))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return groups


def _pop_until(stack: list[str], v: str) -> list[str]:
    """Pops `stack` down to and including `v`; returns what was popped."""
    group = []
    while True:
        w = stack.pop()
        group.append(w)
        if w == v:
            return group


def test_no_import_circle_between_modules() -> None:
    """No two modules import each other, directly or around a ring, at module or function level: a
    circle that works today because one side imports late breaks on the next refactor."""
    assert import_circles() == []


@pytest.mark.parametrize("room", ["cleftedge.export", "cleftedge.calibration", "cleftedge.runtime"])
def test_every_room_is_read(room: str) -> None:
    """The graph covers every module of each room (a parse error or a skipped folder would hide arrows)."""
    files = {module_name(p) for p in (PACKAGE / room.split(".")[1]).rglob("*.py")}
    assert files and files <= {a.source for a in ARROWS} | {m for m in MODULES if not arrows_of(m)}
