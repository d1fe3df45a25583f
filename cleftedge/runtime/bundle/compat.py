"""Version and compatibility rules a cart needs without the build code: version parsing and whether
a TensorRT plan built elsewhere can run here (facts: docs/integrators.md, "TensorRT plans on the
cart")."""

from __future__ import annotations

import re
from typing import Any

from cleftedge.errors import CleftEdgeError

# A version-compatible plan loads on the same or a newer TensorRT of its own major version, and across
# the major versions TensorRT supports (8.6 -> 10.x, 10.x -> 11.x); never on an older one.
CROSS_MAJOR = {(8, 10), (10, 11)}
AMPERE = (8, 0)  # hardware compatibility "ampere_plus": compute capability 8.0 and newer


def parse_version(text: object) -> tuple[int, ...]:
    """The first (up to four) numbers of a version such as "10.3.0.26" (str() of `text`); one line when none."""
    parts = re.findall(r"\d+", str(text))
    if not parts:
        raise CleftEdgeError(f"TensorRT version '{text}'", "a version such as 10.3.0", "check tensorrt.__version__")
    return tuple(int(p) for p in parts[:4])


def _cc(text: object) -> tuple[int, ...] | None:
    return tuple(int(p) for p in re.findall(r"\d+", str(text))[:2]) if text else None


def version_problem(built: str, here: str, version_compatible: bool) -> str | None:
    """Why a plan from TensorRT `built` cannot load on TensorRT `here`; None when it can."""
    bv, hv = parse_version(built), parse_version(here)
    if not version_compatible:
        if bv[:3] != hv[:3]:
            return f"plan built by TensorRT {built}, this machine has {here} (a plan runs only on its own version)"
        return None
    if hv < bv:
        return f"plan from TensorRT {built} (version compatible) cannot load on the older {here}"
    if hv[0] != bv[0] and (bv[0], hv[0]) not in CROSS_MAJOR:
        return f"plan from TensorRT {built} (version compatible) cannot load on {here}: TensorRT loads such plans " \
               f"across {', '.join(f'{a}->{b}' for a, b in sorted(CROSS_MAJOR))} only"
    return None


def hardware_problem(built_cc: object, here_cc: object, level: str) -> str | None:
    """Why a plan built for compute capability `built_cc` ("8.7") with hardware compatibility `level`
    ("none", "same_compute_capability", "ampere_plus") cannot run on a GPU of `here_cc`; None when it can."""
    here = _cc(here_cc)
    if here is None:
        return "this machine's GPU compute capability cannot be read (nvidia-smi, cuda-python, device tree)"
    if level == "ampere_plus":
        return None if here >= AMPERE else \
            f"plan built for Ampere and newer (compute capability 8.0+), this GPU is {here_cc}"
    if _cc(built_cc) != here:  # "none" and "same_compute_capability"
        return f"plan built for compute capability {built_cc}, this GPU is {here_cc}"
    return None


def platform_problem(built: dict[str, Any] | None, here: dict[str, Any]) -> str | None:
    """A plan runs only on the platform it was built on: CPU architecture, OS and (Jetson) L4T release
    (major.minor: R36.4 plans on R36.4.x)."""
    if not built:
        return "the bundle does not record the platform its plan was built on (made by an older cleftedge): rebuild it"
    for key, what in (("machine", "CPU architecture"), ("system", "OS")):
        if built.get(key) != here.get(key):
            return f"plan built on {what} {built.get(key)}, this machine is {here.get(key)}"
    b, h = built.get("l4t"), here.get("l4t")
    if (b is None) != (h is None) or (b and parse_version(b)[:2] != parse_version(h)[:2]):
        return f"plan built on L4T {b or 'none (not a Jetson)'}, this machine has L4T {h or 'none (not a Jetson)'}"
    return None


def plan_runs_here(built: dict[str, Any], here: dict[str, Any]) -> list[str]:
    """Why a plan built with `built` {trt_version, compute_capability, version_compatible,
    hardware_compatibility, platform} cannot run on `here` {trt_version, compute_capability,
    platform}; empty if it can. The platform is compared when `here` gives one."""
    problems: list[str | None] = []
    if "platform" in here:
        problems.append(platform_problem(built.get("platform"), here["platform"]))
    problems.append(version_problem(built["trt_version"], here["trt_version"], bool(built.get("version_compatible"))))
    problems.append(hardware_problem(built.get("compute_capability"), here.get("compute_capability"),
                                     built.get("hardware_compatibility", "none")))
    return [p for p in problems if p]
