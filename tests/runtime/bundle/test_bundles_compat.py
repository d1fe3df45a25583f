"""TensorRT plans on the cart: version-compatible plans only forward (and 10 -> 11 across majors),
hardware-compatibility levels, and every plan only on the platform it was built on. Plain rules,
tested as data; TensorRT itself cannot run here, so the cart's probes are stood in for in the
one test that drives `bundle verify` through them."""

import pytest
from bundle_helpers import edit_manifest, one_line_error, sign, verify

from cleftedge.device_profiles import builtin_text, parse_profile
from cleftedge.export.builders.tensorrt_settings import build_machine_problems
from cleftedge.runtime.bundle import machine
from cleftedge.runtime.bundle.compat import plan_runs_here

JETSON = {"machine": "aarch64", "system": "linux", "l4t": "36.4.3"}


def plan(version="10.3.0", cc="8.7", vc=False, hw="none", platform=JETSON):
    return {"trt_version": version, "compute_capability": cc, "version_compatible": vc, "hardware_compatibility": hw,
            "platform": platform}


def here(version="10.3.0", cc="8.7", platform=JETSON):
    return {"trt_version": version, "compute_capability": cc, "platform": platform}


@pytest.mark.parametrize("built, cart, problem", [
    (plan(), here(), None),
    (plan(), here("10.3.1"), "a plan runs only on its own version"),
    (plan(vc=True), here("10.16.0"), None),
    (plan("10.16.0", vc=True), here("10.3.0"), "cannot load on the older 10.3.0"),  # never backwards
    (plan(vc=True), here("11.4.1"), None),  # 10 -> 11: a pair TensorRT supports
    (plan("11.4.1", vc=True), here("10.16.0"), "older"),
    (plan(vc=True), here("12.0.0"), "across 8->10, 10->11 only"),
    (plan(), here(cc="11.0"), "compute capability 8.7, this GPU is 11.0"),
    (plan(hw="same_compute_capability"), here(cc="8.6"), "compute capability 8.7, this GPU is 8.6"),
    (plan(hw="same_compute_capability"), here(), None),
    (plan(hw="ampere_plus"), here(cc="8.6"), None),
    (plan(hw="ampere_plus"), here(cc="11.0"), None),
    (plan(hw="ampere_plus"), here(cc="7.2"), "Ampere and newer"),
    (plan(), here(cc=None), "cannot be read"),
    (plan(), here(platform={**JETSON, "machine": "x86_64"}), "CPU architecture aarch64, this machine is x86_64"),
    (plan(), here(platform={**JETSON, "system": "windows"}), "OS linux"),
    (plan(), here(platform={**JETSON, "l4t": "38.2.0"}), "L4T 36.4.3, this machine has L4T 38.2.0"),
    (plan(), here(platform={**JETSON, "l4t": "36.4.4"}), None),  # a patch revision of the same release
    (plan(), here(platform={"machine": "aarch64", "system": "linux"}), "L4T none (not a Jetson)"),
    (plan(platform=None), here(), "does not record the platform"),
])
def test_plan_compatibility(built, cart, problem):
    found = plan_runs_here(built, cart)
    if problem is None:
        assert found == []
    else:
        assert found and problem in found[0]


def test_the_builder_refuses_a_same_compute_capability_plan_for_another_gpu():
    text = builtin_text("jetson-orin-nano")
    same = parse_profile(text.replace('"none"', '"same_compute_capability"'),
                         "same.toml")
    assert build_machine_problems(same, "8.7") == []
    assert "same_compute_capability" in build_machine_problems(same, "8.6")[0]
    ampere = parse_profile(text.replace('"none"', '"ampere_plus"'), "a.toml")
    assert build_machine_problems(ampere, "8.6") == []
    assert "8.0 or newer" in build_machine_problems(ampere, "7.2")[0]


def test_verify_refuses_a_plan_built_for_another_platform(built, bundle_copy, monkeypatch, capsys):
    # the signed manifest of a TensorRT bundle built on a Jetson, checked on an x86-64 machine with a
    # TensorRT and GPU that would otherwise match
    def as_jetson_plan(m):
        m.update(backend="tensorrt", device="GPU", platform=JETSON)
        m["toolkit"]["tensorrt"] = "10.3.0"
        m["target"] = {"compute_capability": "8.7", "l4t": "36.4.3", "power_mode": "MAXN"}

    edit_manifest(bundle_copy, as_jetson_plan)
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 0
    capsys.readouterr()
    monkeypatch.setattr(machine, "toolkit_versions", lambda: {"tensorrt": "10.3.0"})
    monkeypatch.setattr(machine, "gpu_compute_capability", lambda: "8.7")
    monkeypatch.setattr(machine, "build_platform", lambda: {"machine": "x86_64", "system": "linux"})
    assert verify(bundle_copy, built) == 1
    assert "plan built on CPU architecture aarch64, this machine is x86_64" in one_line_error(capsys)
    monkeypatch.setattr(machine, "build_platform", lambda: dict(JETSON))
    monkeypatch.setattr(machine, "toolkit_versions", lambda: {"tensorrt": "10.3.1"})
    assert verify(bundle_copy, built) == 1
    assert "a plan runs only on its own version" in one_line_error(capsys)
