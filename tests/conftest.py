"""Every test session counts its QA runs in its own ledger, never in the user's. Artifacts that many
directories need (the reference model's ONNX export, the README's run) are made once per session
here and shared read-only."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def cart_state(tmp_path_factory, monkeypatch):
    """Each test has its own cart state (the releases a cart has run), never the user's own."""
    monkeypatch.setenv("CLEFTEDGE_STATE", str(tmp_path_factory.mktemp("cart-state")))


@pytest.fixture(autouse=True, scope="session")
def _qa_ledger(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CLEFTEDGE_QA_LEDGER", str(tmp_path_factory.mktemp("qa-ledger")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def reference_export_run(tmp_path_factory):
    """run(heatmap=True) -> (path, stdout): `cleftedge export --reference --out model.onnx` (with heatmap False:
    `--no-heatmap --json`) run in a subprocess as a user runs it, once per session each; the heat-map variant
    prints the human line, the other the JSON summary, so tests/export checks both outputs without exporting
    again."""
    made: dict[bool, tuple[Path, str]] = {}

    def run(heatmap: bool = True) -> tuple[Path, str]:
        if heatmap not in made:
            src = tmp_path_factory.mktemp("reference-export") / "model.onnx"
            flags = [] if heatmap else ["--no-heatmap", "--json"]
            r = subprocess.run([sys.executable, "-m", "cleftedge", "export", "--reference", *flags, "--out", str(src)],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            made[heatmap] = (src, r.stdout)
        return made[heatmap]

    return run


@pytest.fixture(scope="session")
def reference_export_copy(reference_export_run):
    """copy_to(path, heatmap=True): the file `cleftedge export --reference [--no-heatmap] --out path`
    writes, placed at path. Each variant is exported once per session (reference_export_run) and copied
    (the export is byte-for-byte deterministic), so a test that changes its copy changes no one else's."""

    def copy_to(path: Path, heatmap: bool = True) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(reference_export_run(heatmap)[0], path)
        return path

    return copy_to


@pytest.fixture(scope="session")
def readme_run(tmp_path_factory):
    """The README's marked command blocks (tests/test_readme.py) run once per session, in order, in a
    fresh folder, as a new user would type them; stops at the first block that fails. Returns the
    folder ("dir"), each block's text and result ("blocks", "results"), and the bundle as the block
    with `cleftedge build` left it, before QA was attached and it was signed ("built_bundle"), for
    the release tests that start from there."""
    from test_readme import marked_blocks

    folder = tmp_path_factory.mktemp("readme")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "CLEFTEDGE_STATE": str(tmp_path_factory.mktemp("readme-cart-state"))}
    env.pop("CLEFTEDGE_TRUST_STORE", None)
    blocks, results, built = marked_blocks(), [], None
    for block in blocks:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=folder, env=env,
                                capture_output=True, text=True, timeout=600)
        results.append(result)
        if result.returncode != 0:
            break
        if "cleftedge build " in block:
            built = shutil.copytree(folder / "bundle", tmp_path_factory.mktemp("readme-built") / "bundle")
    return {"dir": folder, "blocks": blocks, "results": results, "built_bundle": built}
