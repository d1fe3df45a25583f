"""A device profile: one field table per TOML table (device_profiles.fields.TABLES) checks each key's type
and range, and every refusal is one line naming the key path and what was expected."""

from dataclasses import fields

import pytest
from config_error_helpers import refused

from cleftedge.device_profiles import Profile, builtin_text, load_profile
from cleftedge.device_profiles.fields import TABLES, TOP_FIELDS


@pytest.mark.parametrize("base,old,new,words", [
    ("intel-cpu", "batch = 1", 'batch = "1"', ["'batch' is '1'", "wrong type: a string", "a positive integer"]),
    ("jetson-orin-nx", "batch = 1", "batch = 0", ["'batch' is 0", "a positive integer"]),
    ("intel-cpu", "latency_ms = 50", "latency_ms = 0", ["'budget.latency_ms' is 0", "a positive number"]),
    ("intel-cpu", "fps = 30", "fps = nan", ["'budget.fps' is nan", "finite"]),  # nan used to load
    ("jetson-orin-nx", "dla_core = 0", "dla_core = -1", ["'tensorrt.dla_core' is -1", "0 or 1"]),
    ("jetson-orin-nx", "latency_ms = 50", "latency = 50", ["unknown key 'budget.latency'",
                                                         "did you mean 'budget.latency_ms'", "[budget]: fps"]),
    ("intel-cpu", "description =", "decription =", ["unknown key 'decription'", "did you mean 'description'"]),
    ("jetson-orin-nx", 'min_version = "10.3"\n', "", ["missing 'toolkit.min_version'", "a version such as 10.3"]),
    ("intel-cpu", "[budget]\nfps = 30\nlatency_ms = 50\n", "budget = 30\n", ["'budget' is 30", "wrong type",
                                                                            "a [budget] table"]),
    ("jetson-orin-nx", "dla = true", "dla = {on = true}", ["'tensorrt.dla' is {'on': True}", "wrong type: a table",
                                                          "true or false"]),
    ("jetson-orin-nx", "[tensorrt]", "[tensorrt.dla_settings]\n[tensorrt]", ["unknown table 'tensorrt.dla_settings'"]),
    ("intel-cpu", "[qa]\n", "[qa]\npermit = ['overlap']\n", ["'qa.permit' is ['overlap']", "allow_overlap"]),
])
def test_a_bad_profile_is_one_line_naming_the_key(tmp_path, capsys, base, old, new, words):
    text = builtin_text(base)
    assert old in text
    refused(capsys, load_profile, tmp_path / "mine.toml", text.replace(old, new, 1), words, ["profiles", "show"])


def test_one_table_per_toml_table_and_every_builtin_profile_loads():
    assert [f.name for f in TOP_FIELDS] == [f.name for f in fields(Profile) if f.name != "source"][:8] + [
        name for name in TABLES if name]
    assert [name for name in TABLES if name] == [f.name for f in fields(Profile)][8:-1]
    p = load_profile("jetson-orin-nx")
    assert p.budget == {"fps": 30, "latency_ms": 50} and isinstance(p.budget["fps"], int)  # kept as written
    assert list(p.tensorrt) == ["dla", "dla_core", "gpu_fallback", "version_compatible", "hardware_compatibility",
                                "optimization_level"]  # in the file's order ('profiles show' prints it so)
