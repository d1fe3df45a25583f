import pytest

from cleftedge.cli import main
from cleftedge.device_profiles import builtin_text, list_profiles, load_profile
from cleftedge.errors import CleftEdgeError

NAMES = {"jetson-orin-nano", "jetson-orin-nx", "jetson-agx-orin", "jetson-agx-orin-jp7", "jetson-thor", "intel-cpu",
         "intel-gpu", "intel-npu", "x86-cpu-onnxruntime"}


def test_every_named_profile_exists_and_is_complete():
    profiles = {p.name: p for p in list_profiles()}
    assert NAMES <= set(profiles)
    for p in profiles.values():
        assert p.budget["fps"] > 0 and p.budget["latency_ms"] > 0
        assert p.toolkit["min_version"] and p.recipe in ("openvino", "tensorrt", "onnxruntime")
        if p.backend == "tensorrt":
            assert p.target["compute_capability"] and p.memory["workspace_mib"] and p.target["power_mode"]


def test_no_dla_on_orin_nano_or_thor():
    assert not load_profile("jetson-orin-nano").tensorrt["dla"]
    assert not load_profile("jetson-thor").tensorrt["dla"]


@pytest.mark.parametrize("text,needle", [
    ('name = "x"\n', "missing 'description'"),
    ('name="x"\ndescription="d"\nbackend="cuda"\ndevice="GPU"\nprecision="int8"\nrecipe="tensorrt"\n'
     '[budget]\nfps=30\nlatency_ms=50\n[toolkit]\nname="t"\nmin_version="1"\n', "'backend' is 'cuda'"),
    ('name="x"\ndescription="d"\nbackend="openvino"\ndevice="CPU"\nprecision="int8"\nrecipe="openvino"\n'
     '[budget]\nfps=30\nlatency_ms=50\nframes=3\n[toolkit]\nname="t"\nmin_version="1"\n',
     "unknown key 'budget.frames'"),
    ('[cuda]\nx = 1\n', "unknown table 'cuda'"),
])
def test_bad_profiles_get_one_line(tmp_path, text, needle):
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(CleftEdgeError, match=needle.replace("(", r"\(").replace("'", "'")) as exc:
        load_profile(f)
    assert "\n" not in exc.value.line()


def test_profiles_cli(capsys):
    assert main(["profiles", "list", "--json"]) == 0
    assert "jetson-orin-nano" in capsys.readouterr().out
    assert main(["profiles", "show", "nope"]) == 1


@pytest.mark.parametrize("base,old,new,needle", [
    ("intel-cpu", 'precision = "int8"', 'precision = "int4"', "'precision' is 'int4'"),
    ("intel-cpu", 'device = "CPU"', 'device = "TPU"', "'device' is 'TPU'"),
    ("jetson-orin-nano", "dla = false", "dla = true", "orin-nano has no DLA"),
    ("jetson-thor", "dla = false", "dla = true", "thor has no DLA"),
    ("jetson-agx-orin", 'recipe = "tensorrt"', 'recipe = "openvino"', "'recipe' is 'openvino'"),
    ("jetson-agx-orin", 'name = "tensorrt"', 'name = "openvino"', "'toolkit.name' is 'openvino'"),
    ("jetson-agx-orin", 'min_version = "10.3"', 'min_version = "ten"', "'toolkit.min_version' is 'ten'"),
    ("jetson-agx-orin", 'compute_capability = "8.7"', 'compute_capability = "sm87"', "compute_capability"),
    ("jetson-agx-orin", "optimization_level = 3", "optimization_level = 9", "optimization_level"),
    ("jetson-agx-orin", "workspace_mib = 2048", "workspace_mib = 0", "'memory.workspace_mib' is 0"),
    ("intel-cpu", "fps = 30", "fps = -1", "'budget.fps' is -1"),
    ("intel-cpu", 'performance_hint = "LATENCY"', 'performance_hint = "FAST"', "performance_hint"),
    ("jetson-agx-orin", "dla = true", 'dla = "yes"', "'tensorrt.dla' is 'yes'"),
    # GPU and NPU profiles must state the precision their float layers run in (QA validates that one)
    ("intel-gpu", 'inference_precision = "f16"\n', "", "missing 'openvino.inference_precision'"),
    ("intel-npu", 'inference_precision = "f16"\n', "", "missing 'openvino.inference_precision'"),
    ("intel-cpu", 'inference_precision = "f32"', 'inference_precision = "fp8"', "'openvino.inference_precision'"),
])
def test_bad_values_get_one_line_naming_the_key(tmp_path, base, old, new, needle):
    text = builtin_text(base)
    assert old in text
    f = tmp_path / "mine.toml"
    f.write_text(text.replace(old, new, 1))
    with pytest.raises(CleftEdgeError) as exc:
        load_profile(f)
    assert needle in exc.value.line() and "\n" not in exc.value.line()


def test_cpu_profiles_pin_f32_and_gpu_npu_profiles_state_theirs(tmp_path):
    assert load_profile("intel-cpu").inference_precision == "f32"
    assert load_profile("intel-gpu").inference_precision == "f16"
    assert load_profile("x86-cpu-onnxruntime").inference_precision == "f32"
    f = tmp_path / "cpu.toml"  # a CPU profile that leaves it out still pins f32 (never OpenVINO's bf16 default)
    f.write_text(builtin_text("intel-cpu").replace('inference_precision = "f32"\n', ""))
    assert load_profile(f).inference_precision == "f32"


def test_a_users_own_profile_works_where_a_name_does(tmp_path, capsys):
    f = tmp_path / "cart-7.toml"
    f.write_text(builtin_text("intel-cpu").replace('name = "intel-cpu"', 'name = "cart-7"'))
    assert main(["profiles", "show", str(f)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cart-7:") and "performance_hint = LATENCY" in out
    assert load_profile(str(f)).recipe == "openvino"
    assert main(["profiles", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in NAMES)
