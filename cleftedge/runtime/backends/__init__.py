"""Inference backends: one file per backend, found through this registry and imported lazily,
so that a cart with only OpenVINO (or only TensorRT) never imports the others."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends.base import Backend, TensorInfo

BACKENDS: dict[str, str] = {
    "onnxruntime": "cleftedge.runtime.backends.onnxruntime_backend:OnnxRuntimeBackend",
    "openvino": "cleftedge.runtime.backends.openvino_backend:OpenVINOBackend",
    "tensorrt": "cleftedge.runtime.backends.tensorrt_backend:TensorRTBackend",
}

# The backend a model file gets when none is named.
BY_SUFFIX: dict[str, str] = {".onnx": "onnxruntime", ".xml": "openvino", ".plan": "tensorrt", ".engine": "tensorrt"}

__all__ = ["BACKENDS", "BY_SUFFIX", "Backend", "TensorInfo", "backend_class", "backend_for_path", "bundle_options",
           "open_backend"]


def backend_for_path(model_path: str | os.PathLike) -> str:
    suffix = Path(model_path).suffix.lower()
    if suffix not in BY_SUFFIX:
        raise CleftEdgeError(f"cannot tell the backend for {Path(model_path).name}",
                             "a model file ending in " + ", ".join(BY_SUFFIX),
                             "name the backend with --backend " + "|".join(BACKENDS))
    return BY_SUFFIX[suffix]


def backend_class(name: str) -> type[Backend]:
    if name not in BACKENDS:
        raise CleftEdgeError(f"unknown backend '{name}'", "one of: " + ", ".join(BACKENDS),
                             "pick one with --backend")
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def open_backend(model_path: str | os.PathLike, backend: str | None = None, device: str = "CPU",
                 spec: Any = None, **options: Any) -> Backend:
    """Load `model_path` on `backend` (chosen from the file type when None) and `device`.

    `spec` is a ModelSpec or a .toml/.json path; without it the spec comes from the model file.
    """
    name = backend or backend_for_path(model_path)
    return backend_class(name)(model_path, device=device, spec=spec, **options)


def bundle_options(manifest: Any) -> dict[str, Any]:
    """Backend options a bundle's manifest implies (TensorRT: the DLA core its plan was built for;
    OpenVINO: the inference precision it was pinned to, which QA validated)."""
    if isinstance(manifest, dict) and manifest.get("backend") == "tensorrt":
        from cleftedge.runtime.backends.tensorrt_plan import manifest_options

        return manifest_options(manifest)
    from cleftedge.runtime.backends.precision import engine_options

    return engine_options(manifest)
