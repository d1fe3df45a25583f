import pytest

from cleftedge.cli import main


@pytest.fixture(scope="session")
def calib_world(tmp_path_factory, reference_export_copy):
    root = tmp_path_factory.mktemp("calib")
    reference_export_copy(root / "model.onnx", heatmap=False)
    for name, count, seed in (("calib", 120, 201), ("val", 80, 202)):
        assert main(["simulate", "frames", "--out", str(root / name), "--count", str(count), "--seed", str(seed)]) == 0
    return root
