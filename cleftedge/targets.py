"""The target table: one row per inference target (onnxruntime, OpenVINO, TensorRT), strings only, so a
cart imports it without any toolkit. Every list of targets and every `--backend`/`--target` choice reads
from here; the code a row names is loaded on first use through `cleftedge.lazy.load`.

A new target is one backend file (runtime/backends/), one builder file (export/builders/), a recipe (a
new file in calibration/recipes/, or an existing one named), a device profile TOML and one row here
(docs/internals.md, "Adding a target").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cleftedge.errors import CleftEdgeError

ORT_METHODS = ("minmax", "entropy", "percentile")


@dataclass(frozen=True)
class Target:
    """One target: where its code lives ("module:attr", loaded lazily) and the names it answers to."""

    name: str  # the --backend / --target / profile `backend` and `recipe` value
    label: str  # how messages name it
    backend: str  # "module:Class" of its runtime backend (a runtime.backends.base.Backend)
    builder: str  # "module:function" that builds its engine for a bundle (export/builders/)
    recipe: str  # "module:function" of its INT8 recipe (calibration/recipes/); may be another row's
    methods: tuple[str, ...]  # calibrate --method values for its recipe, the default first
    calibrated_suffix: str  # the file its recipe writes
    suffixes: tuple[str, ...]  # model files it opens when no --backend is named
    file_kind: str  # what such a model file is, in words (QA's plan)
    recipe_onnx_kind: str  # what its recipe's ONNX is, in words (QA's plan)
    extra: str  # the pip extra that installs its runtime on a cart
    module: str  # the package its runtime imports (probed to tell whether it runs here)
    devices: tuple[str, ...]  # device names a profile may give it
    profiles: tuple[str, ...]  # its built-in device profiles (cleftedge/device_profiles/<name>.toml)
    proxy: bool = False  # its recipe's Q/DQ ONNX is made for it: onnxruntime stands in (a PROXY) where it is missing
    checked_on: str = ""  # the backend that runs its recipe's output on the build host (default: itself)

    @property
    def check_backend(self) -> str:
        """The backend that runs this target's calibrated model on the build host."""
        return self.checked_on or self.name


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target(name="onnxruntime", label="onnxruntime",
           backend="cleftedge.runtime.backends.onnxruntime_backend:OnnxRuntimeBackend",
           builder="cleftedge.export.builders.onnxruntime:build_onnxruntime",
           recipe="cleftedge.calibration.recipes.onnxruntime:quantize_onnxruntime",
           methods=ORT_METHODS, calibrated_suffix=".onnx", suffixes=(".onnx",), file_kind="an ONNX model",
           recipe_onnx_kind="an ONNX model", extra="onnxruntime", module="onnxruntime", devices=("CPU",),
           profiles=("x86-cpu-onnxruntime",)),
    Target(name="openvino", label="OpenVINO",
           backend="cleftedge.runtime.backends.openvino_backend:OpenVINOBackend",
           builder="cleftedge.export.builders.openvino:build_openvino",
           recipe="cleftedge.calibration.recipes.openvino:quantize_openvino",
           methods=("nncf",),  # NNCF picks its own ranges (min/max of activations, per-channel weights)
           calibrated_suffix=".xml", suffixes=(".xml",), file_kind="an OpenVINO IR",
           recipe_onnx_kind="an OpenVINO recipe's ONNX", extra="openvino", module="openvino",
           devices=("CPU", "GPU", "NPU", "AUTO"), profiles=("intel-cpu", "intel-gpu", "intel-npu")),
    Target(name="tensorrt", label="TensorRT",
           backend="cleftedge.runtime.backends.tensorrt_backend:TensorRTBackend",
           builder="cleftedge.export.builders.tensorrt:build_tensorrt",
           recipe="cleftedge.calibration.recipes.tensorrt:quantize_tensorrt",
           methods=ORT_METHODS, calibrated_suffix=".onnx", suffixes=(".plan", ".engine"), file_kind="a TensorRT plan",
           recipe_onnx_kind="a TensorRT recipe's QDQ ONNX", extra="tensorrt", module="tensorrt", devices=("GPU",),
           profiles=("jetson-agx-orin", "jetson-agx-orin-jp7", "jetson-orin-nano", "jetson-orin-nx", "jetson-thor"),
           proxy=True, checked_on="onnxruntime"),
)}


def names() -> tuple[str, ...]:
    """The target names, in table order: what every `--backend`/`--target` flag accepts."""
    return tuple(TARGETS)


def get_target(name: str, flag: str = "--backend") -> Target:
    """The row for `name`; a CleftEdgeError listing the known names (and the flag that picks one) otherwise."""
    if name not in TARGETS:
        kind = flag.lstrip("-")  # "backend" or "target", as the flag that picks it
        raise CleftEdgeError(f"unknown {kind} '{name}'", "one of: " + ", ".join(TARGETS), f"pick one with {flag}")
    return TARGETS[name]


def suffix_targets() -> dict[str, str]:
    """Model-file suffix -> the target that opens it when no backend is named."""
    return {suffix: t.name for t in TARGETS.values() for suffix in t.suffixes}


def target_for_path(model_path: str | os.PathLike) -> str | None:
    """The target a model file gets from its suffix (None when no row claims the suffix)."""
    return suffix_targets().get(Path(model_path).suffix.lower())
