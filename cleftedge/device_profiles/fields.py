"""The keys of a device profile: one field table per TOML table ("" is the top level). Each key's type and
its own range or choices live here (config_fields); rules across keys (the device a backend takes, the
toolkit named like the backend, no DLA on Orin Nano or Thor, ...) are in rules.py."""

from __future__ import annotations

from cleftedge.config_fields import Field
from cleftedge.device_profiles.rules import CC, HW_COMPAT, PERMIT, PRECISIONS, VERSION

_VERSION = "a version such as 10.3 or 2026.4"
_POSITIVE = "a positive number"
_MIB = "a positive number of MiB"

TABLES: dict[str, tuple[Field, ...]] = {
    "": (
        Field("name", str, required=True),
        Field("description", str, required=True),
        Field("backend", str, required=True),  # its choices: device_profiles.BACKENDS
        Field("device", str, required=True),
        Field("precision", str, required=True, choices=PRECISIONS),
        Field("recipe", str, required=True),  # its choices: device_profiles.RECIPES
        Field("batch", int, low=1, expected="a positive integer"),
        Field("input_shape", list, items=int, low=1,
              expected="a list of positive integers [C, H, W] (or leave it out)"),
    ),
    "budget": (
        Field("fps", (int, float), required=True, low=0, low_open=True, expected=_POSITIVE),
        Field("latency_ms", (int, float), required=True, low=0, low_open=True, expected=_POSITIVE),
    ),
    "toolkit": (
        Field("name", str, required=True),
        Field("min_version", str, required=True, pattern=VERSION.pattern, expected=_VERSION),
        Field("max_version", str, pattern=VERSION.pattern, expected=_VERSION),
        # for a range with gaps: the only releases it accepts (each with its patch releases)
        Field("releases", list, items=str, expected='a list of versions such as ["10.16", "11.4"] (or leave it out)'),
    ),
    "target": (
        Field("board", str),
        Field("compute_capability", str, pattern=CC.pattern, expected="major.minor such as 8.7"),
        Field("jetpack", str),
        Field("l4t", str),
        Field("power_mode", str),
        Field("cpu", str),
    ),
    "memory": (
        Field("workspace_mib", int, low=1, expected=_MIB),
        Field("max_memory_mib", int, low=1, expected=_MIB),
    ),
    "openvino": (  # their values are checked for OpenVINO profiles only (rules.py)
        Field("performance_hint", str),
        Field("num_streams", int),
        Field("cache", bool),
        Field("inference_precision", str),
    ),
    "tensorrt": (
        Field("dla", bool),
        Field("dla_core", int, low=0, expected="a DLA core index (0 or 1)"),
        Field("gpu_fallback", bool),
        Field("version_compatible", bool),
        Field("hardware_compatibility", str, choices=HW_COMPAT),
        Field("optimization_level", int, low=0, high=5, expected="0 to 5"),
    ),
    "qa": (
        Field("required", bool),
        Field("policy_floor", dict, expected="a table of QA policy criteria, a number each"),
        Field("permit", list, items=str, pattern=PERMIT.pattern,
              expected="names as report.json's allowances write them, e.g. allow_overlap"),
        Field("require_lineage", bool),
    ),
}
# The top level also holds the tables themselves.
TOP_FIELDS: tuple[Field, ...] = TABLES[""] + tuple(Field(name, dict, expected=f"a [{name}] table")
                                                  for name in TABLES if name)
