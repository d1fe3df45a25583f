import pytest


@pytest.fixture(scope="session")
def reference_onnx(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("ref") / "model.onnx")
