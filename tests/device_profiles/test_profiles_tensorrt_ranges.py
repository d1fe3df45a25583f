"""Each Jetson profile's TensorRT range accepts only a TensorRT that a JetPack of its line ships
for its board (NVIDIA's JetPack release notes): JetPack 6.1/6.2 (L4T 36.4) ship 10.3 alone,
JetPack 7.0/7.1 (Thor) 10.13, JetPack 7.2.x 10.16 and, from 7.2.2, 11.4.1."""

import pytest

from cleftedge.device_profiles import load_profile
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.tensorrt_settings import check_profile_range, parse_version, profiles_for

# TensorRT releases a Jetson could present (full versions, as `tensorrt.__version__` reads), and
# releases no JetPack ships (10.7, 10.8: desktop and server only; 11.1: not for Jetson)
RELEASES = ("8.5.2", "8.6.2", "10.3.0", "10.7.0", "10.8.0", "10.13.0", "10.16.0", "11.1.0", "11.4.1")
ACCEPTS = {
    "jetson-orin-nano": {"10.3.0"},
    "jetson-orin-nx": {"10.3.0"},
    "jetson-agx-orin": {"10.3.0"},
    "jetson-agx-orin-jp7": {"10.16.0", "11.4.1"},
    "jetson-thor": {"10.13.0", "10.16.0", "11.4.1"},
}


@pytest.mark.parametrize("name", sorted(ACCEPTS))
def test_a_profile_accepts_only_what_its_jetpack_ships(name):
    profile = load_profile(name)
    accepted = set()
    for version in RELEASES:
        try:
            check_profile_range(profile, parse_version(version))
            accepted.add(version)
        except CleftEdgeError:
            pass
    assert accepted == ACCEPTS[name]


def test_a_jetpack_7_agx_orin_maps_to_its_own_profile_only():
    # TensorRT 10.16 on an AGX Orin is JetPack 7.2: never the JetPack 6 profile (whose DLA it lacks)
    assert [p.name for p in profiles_for("agx-orin", "10.16.0")] == ["jetson-agx-orin-jp7"]
    assert [p.name for p in profiles_for("agx-orin", "10.3.0")] == ["jetson-agx-orin"]


def test_a_release_outside_the_range_is_refused(tmp_path, capsys):
    from cleftedge.cli import main
    from cleftedge.device_profiles import builtin_text

    f = tmp_path / "mine.toml"
    f.write_text(builtin_text("jetson-thor").replace('"10.13", "10.16", "11.4"', '"10.13", "12.0"'))
    assert main(["profiles", "show", str(f)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'toolkit.releases'" in err and "12.0" in err


def test_the_cart_reads_other_toolkit_ranges_as_before():
    from cleftedge.device_profiles.rules import toolkit_accepts

    cpu = load_profile("intel-cpu").toolkit  # 2025.0..2027.0
    assert toolkit_accepts(cpu, parse_version("2026.4.0-20000-abc")) and toolkit_accepts(cpu, parse_version("2027.0.1"))
    assert not toolkit_accepts(cpu, parse_version("2027.1.0")) and not toolkit_accepts(cpu, parse_version("2024.6"))
