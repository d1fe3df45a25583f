"""Shared by the runtime's tests: the reference model as one ONNX file with its heat map (the live page and
the session report open it)."""

import pytest


@pytest.fixture(scope="session")
def live_model(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("live-model") / "model.onnx")
