"""The committed surfaces and the code the conformance tests read."""

from pathlib import Path

from api_usage import python_files, uses_in
from surface_lookup import load

from cleftedge.export.builders.tensorrt_settings import CHECKED_VERSIONS, VERSIONED_NAMES, has_name, parse_version

ROOT = Path(__file__).resolve().parents[2]
SURFACES = Path(__file__).resolve().parent / "surfaces"
CODE_FOLDERS = ("cleftedge", "tests", "benchmarks", "scripts")  # every file that could call TensorRT


def tensorrt_surfaces() -> dict[str, dict]:
    return {v: load(SURFACES / f"tensorrt-{v}.json") for v in CHECKED_VERSIONS}


def table_expects(name: str, version: str) -> bool | None:
    """What VERSIONED_NAMES says of `name` in `version` (None: not in the table)."""
    return has_name(name, parse_version(version)) if name in VERSIONED_NAMES else None


_USES: dict[str, list] = {}


def project_uses(lib) -> list:
    """Every use of `lib` in the project's Python files (the conformance checker's own test
    snippets live in strings, not in files that import the library); read once per session."""
    if lib.name not in _USES:
        _USES[lib.name] = [u for p in python_files(ROOT, CODE_FOLDERS) for u in uses_in(p, lib, ROOT)]
    return _USES[lib.name]
