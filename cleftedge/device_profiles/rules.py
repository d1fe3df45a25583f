"""Value rules across the keys of a device profile (each key's own type, range and choices are in
fields.py): each broken rule is one line naming the key, what was found and what is expected."""

from __future__ import annotations

import re
from typing import Any

from cleftedge.targets import TARGETS

PRECISIONS = ("int8", "fp16", "fp32")
HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
INFERENCE_PRECISIONS = ("f32", "bf16", "f16")  # OpenVINO's inference_precision hint
HW_COMPAT = ("none", "ampere_plus", "same_compute_capability")
NO_DLA_BOARDS = ("orin-nano", "thor")  # NVIDIA's module specs: Orin Nano and Thor have no DLA
VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
CC = re.compile(r"^\d+\.\d+$")
PERMIT = re.compile(r"^allow_[a-z0-9_]+$")  # [qa] permit: names of report.json's allowances


def toolkit_accepts(toolkit: dict[str, Any], v: tuple[int, ...]) -> bool:
    """Whether a profile's [toolkit] range takes version `v`: min_version <= v, v within max_version
    (10.3 takes 10.3.x), and, when `releases` is given, v one of those releases (or a patch of one)."""
    lo, hi, releases = toolkit.get("min_version"), toolkit.get("max_version"), toolkit.get("releases")
    if lo and v < _version(lo):
        return False
    if hi and v[:len(_version(hi))] > _version(hi):
        return False
    return not releases or any(v[:len(_version(r))] == _version(r) for r in releases)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def value_problems(t: dict[str, dict[str, Any]]) -> list[tuple[str, Any, str]]:
    """(key, found, expected) for every value that breaks a rule; empty when the profile is sound."""
    top, out = t[""], []
    backend = top["backend"]
    devices = TARGETS[backend].devices if backend in TARGETS else ()
    if devices and top["device"].split(".")[0] not in devices:
        out.append(("device", top["device"], f"one of {', '.join(devices)} for {backend}"))
    if backend == "tensorrt" and top["recipe"] != "tensorrt":
        out.append(("recipe", top["recipe"], "tensorrt (TensorRT builds from its own Q/DQ rules)"))
    toolkit = t.get("toolkit", {})
    if toolkit.get("name") != backend:
        out.append(("toolkit.name", toolkit.get("name"), f"'{backend}' (the profile's backend)"))
    if "max_version" in toolkit and _version(toolkit["min_version"]) > _version(toolkit["max_version"]):
        out.append(("toolkit.max_version", toolkit["max_version"], f"at least min_version {toolkit['min_version']}"))
    for release in toolkit.get("releases", []):
        if not VERSION.match(release) or not toolkit_accepts({**toolkit, "releases": None}, _version(release)):
            out.append(("toolkit.releases", release, "versions such as 10.16, each within min_version..max_version"))
    target = t.get("target", {})
    if backend == "tensorrt":
        for key in ("board", "compute_capability"):
            if key not in target:
                out.append((f"target.{key}", "missing", "set for a TensorRT profile (engines are tied to the GPU)"))
    if backend == "openvino":
        out += _openvino_problems(t.get("openvino", {}), top["device"].split(".")[0].split(":")[0])
    out += _tensorrt_problems(t.get("tensorrt", {}), target)
    return out + _qa_problems(t.get("qa", {}))


def _openvino_problems(ov: dict[str, Any], device: str) -> list[tuple[str, Any, str]]:
    out: list[tuple[str, Any, str]] = []
    precision = ov.get("inference_precision")
    if precision is not None and precision not in INFERENCE_PRECISIONS:
        out.append(("openvino.inference_precision", precision, "one of " + ", ".join(INFERENCE_PRECISIONS)))
    if precision is None and device != "CPU":
        out.append(("openvino.inference_precision", "missing", f"set for a {device} profile (f16 is the usual one): "
                    "the precision QA validated must be the one the cart runs"))
    if ov.get("performance_hint", "LATENCY") not in HINTS:
        out.append(("openvino.performance_hint", ov["performance_hint"], "one of " + ", ".join(HINTS)))
    if ov.get("num_streams", 1) < 1:
        out.append(("openvino.num_streams", ov["num_streams"], "1 or more"))
    return out


def _tensorrt_problems(trt: dict[str, Any], target: dict[str, Any]) -> list[tuple[str, Any, str]]:
    out: list[tuple[str, Any, str]] = []
    if trt.get("dla") and target.get("board") in NO_DLA_BOARDS:
        out.append(("tensorrt.dla", True, f"false: {target['board']} has no DLA"))
    return out



def _qa_problems(qa: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """[qa] policy_floor: criteria of the QA policy with a number each ([qa] permit's names: fields.py)."""
    from dataclasses import fields

    from cleftedge.calibration.qa.policy import Policy
    from cleftedge.runtime.bundle.attestation import floor_rule

    out: list[tuple[str, Any, str]] = []
    known = {f.name for f in fields(Policy)}
    for key, value in qa.get("policy_floor", {}).items():
        if key not in known or floor_rule(key) is None:
            criteria = ", ".join(sorted(k for k in known if floor_rule(k)))
            out.append((f"qa.policy_floor.{key}", "not a criterion of the QA policy", f"one of {criteria}"))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append((f"qa.policy_floor.{key}", value, "a number (the loosest value this cart accepts)"))
    return out
