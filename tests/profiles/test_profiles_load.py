import pytest

from cleftedge.cli import main
from cleftedge.device_profiles import list_profiles, load_profile
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
