"""Engine builders: one file per backend, one line per builder here."""

from __future__ import annotations

import importlib

BUILDERS = {
    "openvino": "cleftedge.export.builders.openvino:build_openvino",
    "onnxruntime": "cleftedge.export.builders.onnxruntime:build_onnxruntime",
    "tensorrt": "cleftedge.export.builders.tensorrt:build_tensorrt",
}


def builder_for(backend: str):
    module, func = BUILDERS[backend].split(":")
    return getattr(importlib.import_module(module), func)
