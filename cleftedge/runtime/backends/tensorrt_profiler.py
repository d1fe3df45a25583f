"""TensorRT's per-layer times (`trt.IProfiler`), for `cleftedge bench --profile-layers`.

A second execution context of the same engine gets the profiler (`IExecutionContext.profiler`) and
the backend's own device buffers; with `enqueue_emits_profile` left at its default (True) each
`execute_async_v3` reports every layer's time through `report_layer_time(layer_name, ms)` once the
layer has run, as trtexec --dumpProfile does. The layer types come from the engine inspector's JSON
(plans built with DETAILED profiling verbosity, as `cleftedge build` builds them).

Written to the API of TensorRT's Python bindings (IProfiler, report_layer_time and the context's
profiler property exist in 10.3, 10.7, 10.16, 11.1 and 11.4; tests/conformance checks every name
used here against them) and run here only against the fake TensorRT; not run on a GPU.
"""

from __future__ import annotations

import json
from typing import Any

WARMUP_RUNS = 3
SOURCE = "TensorRT IProfiler"


def layer_timer(trt: Any) -> Any:
    """A trt.IProfiler that sums each layer's reported time while `counting` is True."""

    class LayerTimer(trt.IProfiler):
        def __init__(self) -> None:
            trt.IProfiler.__init__(self)
            self.times: dict[str, float] = {}
            self.counting = False

        def report_layer_time(self, layer_name: str, ms: float) -> None:  # called from C++: must not raise
            try:
                if self.counting:
                    self.times[layer_name] = self.times.get(layer_name, 0.0) + float(ms)
            except Exception:
                pass

    return LayerTimer()


def layer_types(inspector_json: str) -> dict[str, str]:
    """Layer name -> LayerType from the engine inspector's JSON ({} for a plan built without DETAILED)."""
    try:
        layers = json.loads(inspector_json).get("Layers", []) if inspector_json else []
    except (ValueError, AttributeError):
        return {}
    return {str(r["Name"]): str(r.get("LayerType", "?")) for r in layers if isinstance(r, dict) and "Name" in r}
