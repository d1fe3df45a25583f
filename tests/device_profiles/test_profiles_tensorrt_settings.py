"""TensorRT build settings per Jetson profile and TensorRT version, checked as data."""

import pytest

from cleftedge.device_profiles import builtin_text, list_profiles, load_profile
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.tensorrt_settings import (
    board_from_model,
    build_machine_problems,
    cache_key,
    plan_runs_here,
    profiles_for,
    settings_for,
    this_board,
)

SHAPE = (1, 128, 160)

# profile, TensorRT version, JetPack -> (DLA core or None, strongly typed, pass STRONGLY_TYPED flag, INT8 flag)
CASES = [
    ("jetson-orin-nano", "10.3.0", "6.1", (None, True, True, False)),
    ("jetson-orin-nx", "10.3.0", "6.2", (0, False, False, True)),
    ("jetson-agx-orin", "10.3.0", "6.1", (0, False, False, True)),
    ("jetson-agx-orin", "10.3.0", "6.2", (0, False, False, True)),
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
    assert s.fp16_flag == s.int8_flag  # FP16 only beside INT8 on a weakly typed DLA build
    assert s.shapes == ((1, *SHAPE), (1, *SHAPE), (1, *SHAPE))
    assert s.workspace_bytes == load_profile(name).memory["workspace_mib"] << 20
    if load_profile(name).tensorrt.get("dla") and s.dla_core is None:
        assert any("DLA asked for but not used" in n for n in s.notes)


def test_dla_profiles_have_min_opt_max_equal(tmp_path):
    for name, dla in (("jetson-agx-orin", True), ("jetson-orin-nano", False)):
        f = tmp_path / f"{name}.toml"
        f.write_text(builtin_text(name).replace("batch = 1", "batch = 4"))
        s = settings_for(load_profile(f), "10.3.0", SHAPE)
        assert (s.dla_core is not None) == dla
        assert s.shapes == (((4, *SHAPE),) * 3 if dla else ((1, *SHAPE), (4, *SHAPE), (4, *SHAPE)))


def test_orin_nano_keeps_a_small_workspace():
    assert settings_for(load_profile("jetson-orin-nano"), "10.3", SHAPE).workspace_bytes <= 256 << 20


@pytest.mark.parametrize("version", ["8.5.2", "8.6.2", "10.2.0"])
def test_tensorrt_8_and_early_10_are_refused(version):
    with pytest.raises(CleftEdgeError, match="TensorRT 10.3 or newer"):
        settings_for(load_profile("jetson-agx-orin"), version, SHAPE)


def test_no_precision_flags_on_strongly_typed_networks():
    checked = 0
    for p in list_profiles():
        if p.backend != "tensorrt":
            continue
        for version in ("10.3.0", "10.7.0", "10.13.0", "10.16.0", "11.4.0", "11.4.1"):
            try:
                s = settings_for(p, version, SHAPE, "7.2.2")
            except CleftEdgeError as exc:
                assert "outside the" in str(exc)  # not this JetPack's TensorRT
                continue
            checked += 1
            assert not (s.strongly_typed and (s.int8_flag or s.fp16_flag))
            assert s.strongly_typed or s.dla_core is not None  # weak typing only for DLA
    assert checked >= 10  # JetPack 6 profiles: 10.3 only; jp7: 10.16, 11.4.x; thor: 10.13, 10.16, 11.4.x


@pytest.mark.parametrize("name,version", [("jetson-agx-orin", "11.4.1"), ("jetson-orin-nano", "11.4.1"),
                                          ("jetson-agx-orin-jp7", "10.3.0"), ("jetson-thor", "10.7.0"),
                                          ("jetson-agx-orin", "10.16.0"), ("jetson-agx-orin-jp7", "11.1.0")])
def test_a_tensorrt_the_profiles_jetpack_does_not_ship_is_refused(name, version):
    with pytest.raises(CleftEdgeError, match="outside the .* profile's range"):
        settings_for(load_profile(name), version, SHAPE)


def test_the_profiles_input_shape_must_match_the_model(tmp_path):
    text = builtin_text("jetson-orin-nx")
    f = tmp_path / "nx.toml"
    f.write_text(text.replace("batch = 1", "batch = 1\ninput_shape = [1, 224, 224]"))
    with pytest.raises(CleftEdgeError, match="input_shape"):
        settings_for(load_profile(f), "10.3.0", SHAPE)
    assert settings_for(load_profile(f), "10.3.0", (1, 224, 224)).shapes[1] == (1, 1, 224, 224)


def test_same_compute_capability_needs_tensorrt_10_9(tmp_path):
    same = 'hardware_compatibility = "same_compute_capability"'
    for name in ("jetson-agx-orin", "jetson-agx-orin-jp7"):  # JetPack 6: 10.3; JetPack 7.2: 10.16
        (tmp_path / f"{name}.toml").write_text(builtin_text(name).replace('hardware_compatibility = "none"', same))
    with pytest.raises(CleftEdgeError, match="TensorRT 10.9 or newer"):
        settings_for(load_profile(tmp_path / "jetson-agx-orin.toml"), "10.3.0", SHAPE)
    s = settings_for(load_profile(tmp_path / "jetson-agx-orin-jp7.toml"), "10.16.0", SHAPE)
    assert s.hardware_compatibility == "same_compute_capability"


def test_builds_must_run_on_the_targets_gpu():
    nano = load_profile("jetson-orin-nano")
    assert build_machine_problems(nano, "8.7") == []
    assert "compute capability 11.0" in build_machine_problems(nano, "11.0")[0]
    assert "no CUDA GPU" in build_machine_problems(nano, None)[0]


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


@pytest.mark.parametrize("model,board", [
    ("NVIDIA Jetson AGX Orin Developer Kit\0", "agx-orin"), ("Jetson AGX Orin 64GB", "agx-orin"),
    ("NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super", "orin-nano"),
    ("NVIDIA Jetson Orin NX Engineering Reference Developer Kit", "orin-nx"),
    ("NVIDIA Jetson AGX Thor Developer Kit", "thor"), ("NVIDIA Jetson Xavier NX Developer Kit", None),
    ("QEMU Virtual Machine", None), ("", None)])
def test_the_board_from_the_device_tree_model(model, board):
    assert board_from_model(model) == board


@pytest.mark.parametrize("board,version,profiles", [
    ("agx-orin", "10.3.0.30", ["jetson-agx-orin"]),  # JetPack 6
    ("agx-orin", "11.4.1.5", ["jetson-agx-orin-jp7"]),  # JetPack 7.2.2: not the 10.x-only profile
    ("agx-orin", "10.16.0", ["jetson-agx-orin-jp7"]),  # JetPack 7.2: never the JetPack 6 profile
    ("orin-nano", "10.3.0", ["jetson-orin-nano"]), ("orin-nano", "11.4.1", []),  # no profile: the test skips
    ("thor", "10.13.0", ["jetson-thor"]), ("thor", "11.4.1", ["jetson-thor"]),
    (None, "10.16.0", []),  # a CUDA workstation: no Jetson profile fits, the test skips
])
def test_the_jetson_smoke_test_picks_its_profile_from_the_board_and_version(board, version, profiles):
    assert [p.name for p in profiles_for(board, version)] == profiles


@pytest.mark.tensorrt
def test_build_and_run_on_a_jetson(tmp_path):
    """Smoke test for a Jetson: pytest -m tensorrt (needs TensorRT and a GPU). Builds the reference
    model's Q/DQ ONNX (TensorRT rules: symmetric int8, no bias Q/DQ) into a bundle and verifies it."""
    pytest.importorskip("tensorrt", reason="TensorRT is not installed (run on a Jetson with JetPack 6.1+)")
    import tensorrt

    from cleftedge.cli import main
    from cleftedge.runtime.bundle.machine import gpu_compute_capability

    cc = gpu_compute_capability()
    if cc is None:
        pytest.skip("no CUDA GPU found")
    board = this_board()
    if board is None:
        pytest.skip(f"not a Jetson (GPU compute capability {cc}): the Jetson profiles build for Jetson GPUs")
    fitting = profiles_for(board, tensorrt.__version__)
    if not fitting:
        pytest.skip(f"no built-in profile for {board} with TensorRT {tensorrt.__version__}")
    onnx = tmp_path / "m.onnx"
    assert main(["export", "--reference", "--out", str(onnx)]) == 0
    qdq = _trt_qdq(onnx, tmp_path / "q.onnx")
    text = builtin_text(fitting[0].name)
    profile = tmp_path / "p.toml"
    profile.write_text(text.replace("required = true", "required = false"))
    assert main(["build", "--model", str(qdq), "--profile", str(profile), "--out", str(tmp_path / "b")]) == 0
    assert main(["bundle", "verify", str(tmp_path / "b"), "--allow-unsigned"]) == 0


def _trt_qdq(onnx_path, out):
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from cleftedge.export.onnx_meta import embed_spec
    from cleftedge.runtime.model_spec import resolve_spec
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.simulator.dataset import generate

    spec = resolve_spec(onnx_path)
    pre = Preprocessor(spec.input)
    items = iter([{spec.input.name: pre(f.image)[None]} for f, _, _ in generate(16, 5)])

    class Reader(CalibrationDataReader):
        def get_next(self):
            return next(items, None)

    quantize_static(str(onnx_path), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv", "Gemm",
                    "MatMul"], extra_options={"ActivationSymmetric": True, "WeightSymmetric": True,
                                               "QuantizeBias": False})
    model = onnx.load(str(out))
    embed_spec(model, spec)
    onnx.save(model, str(out))
    return out
