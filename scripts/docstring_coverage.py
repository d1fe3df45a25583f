"""Docstring coverage of public functions, per package: how many public functions and methods carry a
docstring. Public: the function's name and the names of the classes around it do not start with "_" (dunder
methods and functions nested in other functions do not count). It reads the source, imports nothing.

    .venv/bin/python scripts/docstring_coverage.py [ROOT ...] [--min PCT]

ROOT defaults to cleftedge. --min makes the exit status 1 when the total is below PCT (for CI)."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def public_functions(tree: ast.Module) -> Iterator[tuple[str, bool]]:
    """(qualified name, has a docstring) of every public function and method in a module's tree."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and not child.name.startswith("_"):
                yield f"{prefix}{child.name}", ast.get_docstring(child) is not None

    yield from walk(tree, "")


def coverage(root: Path) -> dict[str, tuple[int, int]]:
    """Per package (dotted name) under `root`: (public functions with a docstring, public functions)."""
    out: dict[str, tuple[int, int]] = {}
    for path in sorted(root.rglob("*.py")):
        package = ".".join(path.parent.relative_to(root.parent).parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = list(public_functions(tree))
        have, total = out.get(package, (0, 0))
        out[package] = (have + sum(doc for _, doc in found), total + len(found))
    return out


def _percent(have: int, total: int) -> float:
    return 100.0 * have / total if total else 100.0


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 1 when --min is given and the total falls below it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", default=["cleftedge"], help="package folders (default: cleftedge)")
    parser.add_argument("--min", type=float, default=None, help="fail below this total percentage")
    args = parser.parse_args(argv)
    rows: dict[str, tuple[int, int]] = {}
    for root in args.roots:
        path = Path(root)
        if not path.is_dir():
            print(f"error: {root} is not a folder; expected a package folder such as cleftedge", file=sys.stderr)
            return 1
        rows.update(coverage(path.resolve()))
    width = max((len(p) for p in rows), default=7)
    for package, (have, total) in rows.items():
        print(f"{package:<{width}}  {have:5d} / {total:5d}  {_percent(have, total):5.1f} %")
    have, total = sum(h for h, _ in rows.values()), sum(t for _, t in rows.values())
    print(f"{'total':<{width}}  {have:5d} / {total:5d}  {_percent(have, total):5.1f} %")
    if args.min is not None and _percent(have, total) < args.min:
        print(f"docstring coverage {_percent(have, total):.1f} % is below --min {args.min:g} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
