"""Names a package's Python layer adds on top of its compiled bindings, read with `ast` (never run):
module functions and attributes, class attributes set at module level (`Cls.attr = ...`), and the
`for attr, value in A.B.__members__.items(): setattr(C, attr, value)` copy TensorRT's
`__init__.py` uses to give `Logger` the severities."""

from __future__ import annotations

import ast
import re


def read_python_layer(source: str) -> dict:
    """{"functions": {name: [[kw, ...]]}, "attributes": [...], "class_attributes": {cls: [...]},
    "copies": [[target_class, source_enum]]} for the module-level statements of `source`."""
    source = re.sub(r"##(\w+)##", lambda m: "tensorrt" if m.group(1) == "TENSORRT_MODULE" else "X", source)
    tree = ast.parse(source)
    found = {"functions": {}, "attributes": set(), "class_attributes": {}, "copies": []}
    _walk(tree.body, found)
    return {"functions": found["functions"], "attributes": sorted(found["attributes"]),
            "class_attributes": {k: sorted(v) for k, v in sorted(found["class_attributes"].items())},
            "copies": found["copies"]}


def _walk(body: list[ast.stmt], found: dict) -> None:
    """Add what the statements of `body` define to `found`, into if/try blocks (not the Windows-only ones)."""
    for node in body:
        if isinstance(node, ast.FunctionDef):
            found["functions"][node.name] = [_params(node.args)]
        elif isinstance(node, ast.Assign):
            _assign(node, found)
        elif isinstance(node, ast.For):
            copy = _members_copy(node)
            if copy:
                found["copies"].append(copy)
        elif isinstance(node, ast.Delete):
            found["attributes"].difference_update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.If) and "sys.platform" in ast.unparse(node.test):
            continue  # Windows-only DLL loading: not part of the API on Linux
        elif isinstance(node, (ast.If, ast.Try)):
            _walk_blocks(node, found)


def _assign(node: ast.Assign, found: dict) -> None:
    """`name = ...` is a module attribute, `Cls.attr = ...` a class attribute."""
    for target in node.targets:
        if isinstance(target, ast.Name):
            found["attributes"].add(target.id)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            found["class_attributes"].setdefault(target.value.id, set()).add(target.attr)


def _walk_blocks(node: ast.If | ast.Try, found: dict) -> None:
    """Every block of an if or a try: its body, its except handlers, its else."""
    _walk(node.body, found)
    for handler in getattr(node, "handlers", []):
        _walk(handler.body, found)
    _walk(node.orelse, found)


def _params(args: ast.arguments) -> list[str]:
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    names = [a.arg + ("?" if i >= first_default else "") for i, a in enumerate(positional)]
    names += [a.arg + ("?" if d is not None else "") for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return names


def _members_copy(node: ast.For) -> list[str] | None:
    """for attr, value in A.B.__members__.items(): setattr(C, attr, value) -> ["C", "A.B"]."""
    it = node.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "items"):
        return None
    members = it.func.value
    if not (isinstance(members, ast.Attribute) and members.attr == "__members__"):
        return None
    source = ast.unparse(members.value)
    for stmt in node.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "setattr":
            return [ast.unparse(call.args[0]), source]
    return None
