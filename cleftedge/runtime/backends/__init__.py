"""Inference backends: one file per backend, found through the target table (cleftedge/targets.py)
and imported lazily, so that a cart with only OpenVINO (or only TensorRT) never imports the others."""

from __future__ import annotations

import os
from typing import Any

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import load
from cleftedge.runtime.backends.base import Backend, TensorInfo
from cleftedge.targets import get_target, names, suffix_targets, target_for_path

__all__ = ["Backend", "TensorInfo", "backend_class", "backend_for_path", "bundle_options", "open_backend"]


def backend_for_path(model_path: str | os.PathLike) -> str:
    """The backend a model file gets when none is named (the target table's suffixes)."""
    name = target_for_path(model_path)
    if name is None:
        raise CleftEdgeError(f"cannot tell the backend for {os.path.basename(model_path)}",
                             "a model file ending in " + ", ".join(suffix_targets()),
                             "name the backend with --backend " + "|".join(names()))
    return name


def backend_class(name: str) -> type[Backend]:
    """The backend class of target `name`, imported now (its toolkit only when it is opened)."""
    target = get_target(name)
    return load(target.backend, target.extra)


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
