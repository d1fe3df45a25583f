"""The tests are laid out like the package: a folder of tests is named after the package folder (or the
module) whose code it checks, so that the tests of `cleftedge/runtime/alerts.py` are found under
`tests/runtime/`, not under another room's folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT.parent / "cleftedge"
# Folders that check several rooms at once, with the reason.
CROSS_CUTTING = {
    "conformance": "TensorRT/CUDA API conformance of the backends, the builders and the CUDA layers together",
}


def stray_folders(tests: Path, package: Path) -> list[str]:
    """Folders under `tests` holding test files whose path names no package folder or module of `package`."""
    strays = []
    for folder in sorted(p for p in tests.rglob("*") if p.is_dir() and any(p.glob("test_*.py"))):
        rel = folder.relative_to(tests)
        if rel.parts[0] in CROSS_CUTTING:
            continue
        target = package.joinpath(*rel.parts)
        if not ((target.is_dir() and any(target.glob("*.py"))) or target.with_suffix(".py").is_file()):
            strays.append(rel.as_posix())
    return strays


def test_every_test_folder_mirrors_a_package_folder_or_module() -> None:
    assert stray_folders(ROOT, PACKAGE) == []


def test_a_folder_named_after_nothing_in_the_package_is_caught(tmp_path: Path) -> None:
    package, tests = tmp_path / "pkg", tmp_path / "tests"
    (package / "runtime").mkdir(parents=True)
    (package / "runtime" / "__init__.py").write_text("")
    (package / "runtime" / "alerts.py").write_text("")
    for folder in ("runtime", "runtime/alerts", "stream"):  # stream: alerts tested under another room's name
        (tests / folder).mkdir(parents=True)
        (tests / folder / "test_x.py").write_text("")
    assert stray_folders(tests, package) == ["stream"]
