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
def reference_export_copy(tmp_path_factory):
    """copy_to(path, heatmap=True): the file `cleftedge export --reference [--no-heatmap] --out path`
    writes, placed at path. Each variant is exported once per session and copied (the export is
    byte-for-byte deterministic), so a test that changes its copy changes no one else's."""
    from cleftedge.cli import main

    made: dict[bool, Path] = {}

    def copy_to(path: Path, heatmap: bool = True) -> Path:
        if heatmap not in made:
            src = tmp_path_factory.mktemp("reference-export") / "model.onnx"
            assert main(["export", "--reference", *([] if heatmap else ["--no-heatmap"]), "--out", str(src)]) == 0
            made[heatmap] = src
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made[heatmap], path)
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
