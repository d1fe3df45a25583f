"""TensorRT build settings per Jetson profile and TensorRT version, checked as data (TARGETS.md)."""

import pytest

from cleftedge.device_profiles import list_profiles, load_profile
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.tensorrt_settings import cache_key, plan_runs_here, settings_for

SHAPE = (1, 128, 160)

# profile, TensorRT version, JetPack -> (DLA core or None, strongly typed, pass STRONGLY_TYPED flag, INT8 flag)
CASES = [
    ("jetson-orin-nano", "10.3.0", "6.1", (None, True, True, False)),
    ("jetson-orin-nx", "10.3.0", "6.2", (0, False, False, True)),
    ("jetson-agx-orin", "10.3.0", "6.1", (0, False, False, True)),
    ("jetson-agx-orin", "10.7.0", "6.2", (0, False, False, True)),
    ("jetson-agx-orin-jp7", "10.16.0", "7.2", (None, True, True, False)),
    ("jetson-agx-orin-jp7", "11.4.0", "7.2.2", (None, True, False, False)),
    ("jetson-agx-orin-jp7", "11.4.1", "7.2.1", (None, True, False, False)),
    ("jetson-agx-orin-jp7", "11.4.1", "7.2.2", (0, True, False, False)),
    ("jetson-thor", "10.13.0", "7.0", (None, True, True, False)),
    ("jetson-thor", "11.4.1", "7.2.2", (None, True, False, False)),
]


@pytest.mark.parametrize("name,version,jetpack,expected", CASES)
def test_settings_per_profile_and_version(name, version, jetpack, expected):
    s = settings_for(load_profile(name), version, SHAPE, jetpack)
    assert (s.dla_core, s.strongly_typed, s.set_strongly_typed_flag, s.int8_flag) == expected
    assert s.gpu_fallback == (s.dla_core is not None)
    assert s.shapes == ((1, *SHAPE), (1, *SHAPE), (1, *SHAPE))
    assert s.workspace_bytes == load_profile(name).memory["workspace_mib"] << 20
    if load_profile(name).tensorrt.get("dla") and s.dla_core is None:
        assert any("DLA asked for but not used" in n for n in s.notes)


def test_orin_nano_keeps_a_small_workspace():
    assert settings_for(load_profile("jetson-orin-nano"), "10.3", SHAPE).workspace_bytes <= 256 << 20


@pytest.mark.parametrize("version", ["8.5.2", "8.6.2", "10.2.0"])
def test_tensorrt_8_and_early_10_are_refused(version):
    with pytest.raises(CleftEdgeError, match="TensorRT 10.3 or newer"):
        settings_for(load_profile("jetson-agx-orin"), version, SHAPE)


def test_no_precision_flags_on_strongly_typed_networks():
    for p in list_profiles():
        if p.backend != "tensorrt":
            continue
        for version in ("10.3.0", "10.16.0", "11.4.1"):
            s = settings_for(p, version, SHAPE, "7.2.2")
            assert not (s.strongly_typed and s.int8_flag)


def test_cache_key_changes_with_each_input():
    base = cache_key("10.3.0", "8.7", "36.4", "a" * 64)
    assert base != cache_key("10.3.1", "8.7", "36.4", "a" * 64)
    assert base != cache_key("10.3.0", "8.6", "36.4", "a" * 64)
    assert base != cache_key("10.3.0", "8.7", "36.5", "a" * 64)
    assert base != cache_key("10.3.0", "8.7", "36.4", "b" * 64)


def test_plan_compatibility_rules():
    built = {"trt_version": "10.3.0", "compute_capability": "8.7"}
    assert plan_runs_here(built, {"trt_version": "10.3.0", "compute_capability": "8.7"}) == []
    assert "TensorRT 10.3.0" in plan_runs_here(built, {"trt_version": "10.16.0", "compute_capability": "8.7"})[0]
    assert "compute capability" in plan_runs_here(built, {"trt_version": "10.3.0", "compute_capability": "11.0"})[0]
    vc = {**built, "version_compatible": True, "hardware_compatibility": "ampere_plus"}
    assert plan_runs_here(vc, {"trt_version": "11.4.1", "compute_capability": "8.6"}) == []


@pytest.mark.tensorrt
def test_build_and_run_on_a_jetson(tmp_path):
    """Smoke test for a Jetson: pytest -m tensorrt (needs TensorRT and a GPU)."""
    trt = pytest.importorskip("tensorrt", reason="TensorRT is not installed (run on a Jetson with JetPack 6.1+)")
    from cleftedge.cli import main

    onnx = tmp_path / "m.onnx"
    assert main(["export", "--reference", "--out", str(onnx)]) == 0
    assert trt.__version__
    # a QDQ model from the tensorrt recipe, then a bundle for the board's profile
    data = tmp_path / "calib"
    assert main(["simulate", "frames", "--out", str(data), "--count", "120", "--seed", "3"]) == 0
    assert main(["calibrate", "--model", str(onnx), "--data", str(data), "--target", "tensorrt",
                 "--out", str(tmp_path / "q.onnx")]) == 0
    assert main(["build", "--model", str(tmp_path / "q.onnx"), "--profile", "jetson-agx-orin",
                 "--out", str(tmp_path / "b")]) == 0
    assert main(["bundle", "verify", str(tmp_path / "b"), "--allow-unsigned"]) in (0, 1)
