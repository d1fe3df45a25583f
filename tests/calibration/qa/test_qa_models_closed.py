"""run_qa opens the reference and the candidate: it closes both when it is done, passed or failed."""

import pytest

from cleftedge.calibration.qa import run as qa_run
from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError


@pytest.fixture
def opened(monkeypatch):
    """The models run_qa opened (the real open_qa_models, watched)."""
    models = []

    def watched(*args, **kwargs):
        ref, cand, proxy = real(*args, **kwargs)
        models.extend([ref, cand])
        return ref, cand, proxy

    real = qa_run.open_qa_models
    monkeypatch.setattr(qa_run, "open_qa_models", watched)
    return models


def assert_closed(models):
    assert len(models) == 2 and all(m is not None for m in models)
    for model in models:
        with pytest.raises(CleftEdgeError, match="is closed"):
            model.backend.warmup(1)


def test_a_qa_run_closes_both_models(qa_world, ir_candidate, opened, tmp_path, capsys):
    rc = main(["qa", "--reference", str(qa_world["reference"]), "--candidate", str(ir_candidate),
               "--data", str(qa_world["qa"]), "--report", str(tmp_path / "rep")])
    assert rc in (0, 2), capsys.readouterr()
    assert_closed(opened)


def test_a_qa_run_that_fails_while_scoring_still_closes_both(qa_world, ir_candidate, opened, monkeypatch, tmp_path,
                                                              capsys):
    def broken(req, ctx):
        raise CleftEdgeError("frame 3 could not be decoded", "a readable frame", "fix the file")

    monkeypatch.setattr(qa_run, "score_qa_set", broken)
    rc = main(["qa", "--reference", str(qa_world["reference"]), "--candidate", str(ir_candidate),
               "--data", str(qa_world["qa"]), "--report", str(tmp_path / "rep")])
    assert rc == 1 and "could not be decoded" in capsys.readouterr().err
    assert_closed(opened)
