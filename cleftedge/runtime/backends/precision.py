"""The inference precision of an engine's float layers: pinned at build time (the device profile,
recorded as the manifest's engine.inference_precision) and the same in QA, in the known-answer test
and on the cart. OpenVINO compiles the IR on the device and, unpinned, runs the layers that are not
quantized in bf16 on CPUs with bf16 and in f32 elsewhere: a QA run on a bf16 host would not judge
an f32 cart."""

from __future__ import annotations

from typing import Any

PRECISIONS = ("f32", "bf16", "f16")


def engine_options(manifest: Any) -> dict[str, str]:
    """The backend options a bundle's engine runs with (for OpenVINO: its inference precision)."""
    if not isinstance(manifest, dict) or manifest.get("backend") != "openvino":
        return {}
    engine = manifest.get("engine")
    if not isinstance(engine, dict):
        engine = {}
    precision = engine.get("inference_precision")
    return {"inference_precision": precision} if isinstance(precision, str) and precision else {}
