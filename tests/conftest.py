"""Every test session counts its QA runs in its own ledger, never in the user's. Artifacts that many
directories need (the reference model's ONNX export) are made once per session here and shared."""

import shutil
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


# A simulator QA set large enough to show non-inferiority honestly at the default policy: 2,400
# frames of seed 21 hold 194 positive and 322 negative clusters, above the 189 a zero-flip set
# needs (cleftedge qa-plan). Simulated once per session (~15 s), shared read-only.
SIM_QA = {"count": 2400, "seed": 21}


@pytest.fixture(scope="session")
def sim_qa_set(tmp_path_factory):
    from cleftedge.cli import main

    out = tmp_path_factory.mktemp("sim-qa") / "qa"
    assert main(["simulate", "frames", "--out", str(out), "--count", str(SIM_QA["count"]),
                 "--seed", str(SIM_QA["seed"])]) == 0
    return out


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
