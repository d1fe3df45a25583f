import pytest


@pytest.fixture(autouse=True)
def cart_state(tmp_path_factory, monkeypatch):
    """Each test has its own cart state (the releases a cart has run), never the user's own."""
    monkeypatch.setenv("CLEFTEDGE_STATE", str(tmp_path_factory.mktemp("cart-state")))
