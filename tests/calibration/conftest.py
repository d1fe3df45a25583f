import pytest

from cleftedge.cli import main


@pytest.fixture(scope="session")
def calib_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("calib")
    assert main(["export", "--reference", "--no-heatmap", "--out", str(root / "model.onnx")]) == 0
    for name, count, seed in (("calib", 120, 201), ("val", 80, 202)):
        assert main(["simulate", "frames", "--out", str(root / name), "--count", str(count), "--seed", str(seed)]) == 0
    return root
