"""Every test session counts its QA runs in its own ledger, never in the user's."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _qa_ledger(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CLEFTEDGE_QA_LEDGER", str(tmp_path_factory.mktemp("qa-ledger")))
    yield
    mp.undo()
