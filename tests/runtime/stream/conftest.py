import pytest


@pytest.fixture(scope="session")
def ref_onnx(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("stream-model") / "model.onnx", heatmap=False)


@pytest.fixture(scope="session")
def ref_onnx_heat(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("stream-model-heat") / "model.onnx")
