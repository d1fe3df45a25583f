"""Version and compatibility rules a cart needs without the build code: version parsing and whether
a TensorRT plan built elsewhere can run here."""

from __future__ import annotations

import re

from cleftedge.errors import CleftEdgeError


def parse_version(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", str(text))
    if not parts:
        raise CleftEdgeError(f"TensorRT version '{text}'", "a version such as 10.3.0", "check tensorrt.__version__")
    return tuple(int(p) for p in parts[:4])


def plan_runs_here(built: dict, here: dict) -> list[str]:
    """Why a plan built with `built` {trt_version, compute_capability, version_compatible,
    hardware_compatibility} cannot run on `here` {trt_version, compute_capability}; empty if it can."""
    problems = []
    bv, hv = parse_version(built["trt_version"]), parse_version(here["trt_version"])
    if built.get("version_compatible"):
        if hv[0] < bv[0] or hv[0] > bv[0] + 1:
            problems.append(f"plan from TensorRT {built['trt_version']} (version compatible) cannot load on "
                            f"{here['trt_version']}")
    elif bv[:3] != hv[:3]:
        problems.append(f"plan built by TensorRT {built['trt_version']}, this machine has {here['trt_version']}")
    if built.get("hardware_compatibility", "none") == "none" and \
            built.get("compute_capability") != here.get("compute_capability"):
        problems.append(f"plan built for compute capability {built.get('compute_capability')}, this GPU is "
                        f"{here.get('compute_capability')}")
    return problems
