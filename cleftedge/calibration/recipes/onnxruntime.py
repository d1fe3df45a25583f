"""onnxruntime CPU recipe: Q/DQ with u8 activations and s8 weights (the fast form on x86 with VNNI);
reduce_range where the CPU lacks VNNI, to avoid saturation in the u8 x s8 multiply."""

from __future__ import annotations

from pathlib import Path

from cleftedge.calibration.recipes import RecipeInput
from cleftedge.calibration.recipes.ort_common import quantize_static_qdq


def cpu_has_vnni() -> bool:
    """Whether this CPU has AVX-512 VNNI or AVX-VNNI (read from /proc/cpuinfo; True when it cannot be read)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True  # unknown: assume a modern CPU
    return "avx512_vnni" in flags or "avx_vnni" in flags


def quantize_onnxruntime(r: RecipeInput) -> Path:
    """The onnxruntime recipe: static Q/DQ, uint8 activations and int8 weights, reduced range on CPUs without VNNI
    unless forced. Returns the written model's path."""
    vnni = cpu_has_vnni()
    reduce = (not vnni) if r.reduce_range is None else r.reduce_range
    r.record["reduce_range"] = reduce
    r.record["reduce_range_reason"] = ("forced" if r.reduce_range is not None else
                                       "this CPU has VNNI" if vnni else "this CPU lacks VNNI")
    return quantize_static_qdq(r, "QUInt8", "QInt8", {}, reduce_range=reduce)
