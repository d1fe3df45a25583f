"""The TensorRT builder's calls, run against a fake TensorRT per supported version that binds only that
version's names (tests/conformance/fake_tensorrt.py): what it sets for each Jetson profile, detailed
profiling verbosity, DLA profiles with min = opt = max, what it does with a timing cache TensorRT
refuses. The real build is `pytest -m tensorrt` on a Jetson."""

import sys
from dataclasses import dataclass

import pytest
from fake_tensorrt import FakeTensorRT
from onnx_engine import builder_behaviour

from cleftedge.device_profiles import builtin_text, load_profile
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders import tensorrt as builder
from cleftedge.runtime.model_spec import resolve_spec

JETSONS = {"orin": {"compute_capability": "8.7", "l4t": "36.4.3", "jetpack": "6.2"},
           "orin-jp7": {"compute_capability": "8.7", "l4t": "39.2.2", "jetpack": "7.2.2"},
           "thor": {"compute_capability": "11.0", "l4t": "39.2.2", "jetpack": "7.2.2"}}


def fake_build(monkeypatch, tmp_path, onnx_path, profile, version, machine, full_version=None, **behaviour):
    spec = resolve_spec(onnx_path)
    trt = FakeTensorRT(version, full_version=full_version)
    trt.behaviour.update({**builder_behaviour(trt, onnx_path, spec.input.name), **behaviour})
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr(builder, "jetson_info", lambda: dict(JETSONS[machine]))
    engine_dir = tmp_path / "engine"
    engine_dir.mkdir(exist_ok=True)
    result = builder.build_tensorrt(onnx_path, spec, load_profile(profile), engine_dir, tmp_path / "cache")
    return trt, result


@pytest.fixture
def cache_dir(tmp_path):
    (tmp_path / "cache").mkdir()
    return tmp_path / "cache"


@dataclass(frozen=True)
class _Case:
    """A profile built with one TensorRT version, and the calls that build must make."""

    profile: str
    version: str
    full: str | None  # the full version string, when it matters
    machine: str
    dla: bool
    strong_flag: bool  # the STRONGLY_TYPED network flag is passed
    weak_flags: bool  # the INT8 and FP16 builder flags are set


CASES = [_Case("jetson-orin-nano", "10.3", None, "orin", False, True, False),
         _Case("jetson-agx-orin", "10.3", None, "orin", True, False, True),
         _Case("jetson-agx-orin-jp7", "10.16", None, "orin-jp7", False, True, False),
         _Case("jetson-agx-orin-jp7", "11.4", "11.4.1.5", "orin-jp7", True, False, False),
         _Case("jetson-thor", "11.4", None, "thor", False, False, False)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.profile}-{c.version}")
def test_the_calls_each_profile_makes_on_each_version(monkeypatch, tmp_path, cache_dir, trt_qdq_onnx, case):
    profile, version, full, machine = case.profile, case.version, case.full, case.machine
    dla, strong_flag, weak_flags = case.dla, case.strong_flag, case.weak_flags
    trt, result = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, profile, version, machine, full)
    logged = trt.names_logged()
    assert (tmp_path / "engine" / "model.plan").read_bytes() == trt_qdq_onnx.read_bytes()
    # per-layer types in the engine inspector (describe()["precision"]) need detailed verbosity
    assert trt.calls("IBuilderConfig.profiling_verbosity=") == [((trt.ProfilingVerbosity.DETAILED,), {})]
    (flags,), _ = trt.calls("Builder.create_network")[0]
    assert (flags != 0) == strong_flag  # STRONGLY_TYPED is passed on 10.x only (always on, deprecated in 11.x)
    set_flags = [a[0].name for a, _ in trt.calls("IBuilderConfig.set_flag")]
    assert ({"INT8", "FP16"} <= set(set_flags)) == weak_flags and ("INT8" in set_flags) == weak_flags
    assert ("GPU_FALLBACK" in set_flags) == dla and bool(trt.calls("IBuilderConfig.DLA_core=")) == dla
    (name, lo, opt, hi), _ = trt.calls("IOptimizationProfile.set_shape")[0]
    shape = (1, *resolve_spec(trt_qdq_onnx).input.shape)
    assert name == resolve_spec(trt_qdq_onnx).input.name and opt == hi == shape
    assert lo == shape  # batch 1 in every built-in profile: min = opt = max
    assert result.settings["dla_core"] == (0 if dla else None)
    assert logged.index("IBuilderConfig.profiling_verbosity=") < logged.index("Builder.build_serialized_network")
    assert (cache_dir / f"timing-{result.settings['cache_key']}.cache").read_bytes() == b"TIMING-CACHE"


def test_a_dla_profile_with_a_batch_builds_min_opt_max_equal(monkeypatch, tmp_path, cache_dir, trt_qdq_onnx):
    batch4 = tmp_path / "agx4.toml"
    batch4.write_text(builtin_text("jetson-agx-orin").replace("batch = 1", "batch = 4"))
    gpu4 = tmp_path / "nano4.toml"
    gpu4.write_text(builtin_text("jetson-orin-nano").replace("batch = 1", "batch = 4"))
    chw = resolve_spec(trt_qdq_onnx).input.shape
    trt, _ = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, batch4, "10.3", "orin")
    (_, lo, opt, hi), _ = trt.calls("IOptimizationProfile.set_shape")[0]
    assert lo == opt == hi == (4, *chw)  # DLA needs a fixed batch
    trt, _ = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, gpu4, "10.3", "orin")
    (_, lo, opt, hi), _ = trt.calls("IOptimizationProfile.set_shape")[0]
    assert lo == (1, *chw) and opt == hi == (4, *chw)  # the GPU takes any batch up to 4


def test_a_damaged_timing_cache_is_replaced_not_fatal(monkeypatch, tmp_path, cache_dir, trt_qdq_onnx):
    trt, first = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, "jetson-orin-nano", "10.3", "orin")
    saved = cache_dir / f"timing-{first.settings['cache_key']}.cache"
    saved.write_bytes(b"garbage")
    refuse_damaged = {"IBuilderConfig.create_timing_cache":
                      lambda config, data: None if bytes(data) == b"garbage" else trt.make("ITimingCache")}
    trt, result = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, "jetson-orin-nano", "10.3", "orin", **refuse_damaged)
    assert any("saved timing cache was refused" in n for n in result.notes)
    assert [bytes(a[0]) for a, _ in trt.calls("IBuilderConfig.create_timing_cache")] == [b"garbage", b""]
    assert all(a[0] is not None for a, _ in trt.calls("IBuilderConfig.set_timing_cache"))


def test_a_timing_cache_from_another_device_is_replaced(monkeypatch, tmp_path, cache_dir, trt_qdq_onnx):
    _, first = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, "jetson-orin-nano", "10.3", "orin")
    (cache_dir / f"timing-{first.settings['cache_key']}.cache").write_bytes(b"other device")
    answers = iter([False, True])  # set_timing_cache refuses the saved cache (mismatch), takes a fresh one
    trt, result = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, "jetson-orin-nano", "10.3", "orin",
                             **{"IBuilderConfig.set_timing_cache": lambda c, cache, ignore_mismatch: next(answers)})
    assert any("refused by TensorRT" in n for n in result.notes)
    assert [k for _, k in trt.calls("IBuilderConfig.set_timing_cache")] == [{"ignore_mismatch": False}] * 2


def test_no_timing_cache_at_all_is_one_line(monkeypatch, tmp_path, cache_dir, trt_qdq_onnx):
    with pytest.raises(CleftEdgeError, match="could not create a timing cache") as err:
        fake_build(monkeypatch, tmp_path, trt_qdq_onnx, "jetson-orin-nano", "10.3", "orin",
                   **{"IBuilderConfig.create_timing_cache": None})
    assert "\n" not in str(err.value)


def test_a_build_without_a_timing_cache_to_keep_says_so(monkeypatch, tmp_path, cache_dir, trt_qdq_onnx):
    _, result = fake_build(monkeypatch, tmp_path, trt_qdq_onnx, "jetson-orin-nano", "10.3", "orin",
                           **{"IBuilderConfig.get_timing_cache": None})
    assert any("no timing cache to keep" in n for n in result.notes) and not list(cache_dir.iterdir())


def test_a_dla_bundle_runs_on_its_dla_core_from_build_to_cart(monkeypatch, tmp_path, trt_qdq_onnx):
    """build -> bundle -> verify -> Model.open on the fake (the "plan" is the Q/DQ ONNX, run by
    onnxruntime on host memory): every deserialization of the DLA plan happens on DLA core 0."""
    import numpy as np
    from host_cuda import HostCudaLayer
    from onnx_engine import onnx_engine_behaviour

    from cleftedge.cli import main
    from cleftedge.runtime.backends import open_backend, tensorrt_backend
    from cleftedge.runtime.bundle import machine
    from cleftedge.runtime.model import Model
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.simulator.render import render_frame

    spec = resolve_spec(trt_qdq_onnx)
    trt = FakeTensorRT("10.3")
    trt.behaviour.update({**builder_behaviour(trt, trt_qdq_onnx, spec.input.name), **onnx_engine_behaviour(trt)})
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr(builder, "jetson_info", lambda: dict(JETSONS["orin"]))
    monkeypatch.setattr(machine, "gpu_compute_capability", lambda: "8.7")
    monkeypatch.setattr(tensorrt_backend, "open_cuda", lambda name, index: HostCudaLayer(index))
    profile = tmp_path / "agx.toml"
    profile.write_text(builtin_text("jetson-agx-orin").replace("required = true", "required = false"))
    bundle = tmp_path / "bundle"
    assert main(["build", "--model", str(trt_qdq_onnx), "--profile", str(profile), "--out", str(bundle)]) == 0
    assert main(["bundle", "verify", str(bundle), "--allow-unsigned"]) == 0  # known answers on DLA core 0
    frames = [render_frame("bilateral", 0.7, np.random.default_rng(i)).image for i in range(3)]
    with Model.open(bundle, allow_unsigned=True) as model:
        got = model.predict(frames).raw[spec.output.name]
        assert "DLA core 0" in model.describe()["device"]
    with open_backend(trt_qdq_onnx) as ref:
        want = ref.infer(Preprocessor(spec.input).batch(frames))[spec.output.name]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    cores = [core for _, core in trt.deserialized]
    assert len(cores) >= 3 and set(cores) == {0}  # golden frames at build, verify, the cart's Model.open
