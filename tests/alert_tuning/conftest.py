import pytest

from cleftedge.simulator.sweep import write_sweep


@pytest.fixture(scope="session")
def ref_model(tmp_path_factory, reference_export_copy):
    return reference_export_copy(tmp_path_factory.mktemp("tune-model") / "model.onnx", heatmap=False)


@pytest.fixture(scope="session")
def sweep_dirs(tmp_path_factory):
    """Small real sweeps: a tuning folder (a normal and a cleft sweep) and another cleft sweep."""
    root = tmp_path_factory.mktemp("tune-sweeps")
    tune, other = root / "tune", root / "other"
    write_sweep(tune / "normal.mp4", 3, "none", 5, progress=False)
    write_sweep(tune / "cleft.mp4", 5, "unilateral", 11, progress=False)
    write_sweep(other / "cleft2.mp4", 4, "bilateral", 12, progress=False)
    return tune, other
