"""Read and write the spec in an ONNX file with the onnx package (build host side)."""

from __future__ import annotations

import os
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require
from cleftedge.spec import METADATA_KEY, ModelSpec


def load_onnx(path: str | os.PathLike, what: str = "model"):
    """onnx.load with one-line errors for a missing file or one that is not ONNX."""
    onnx = require("onnx", "build")
    p = Path(path)
    if not p.is_file():
        raise CleftEdgeError(f"{what} file {p} does not exist", "a path to an .onnx file", "check the path")
    try:
        model = onnx.load(str(p))
    except Exception as exc:  # protobuf raises several types for garbage input
        raise CleftEdgeError(f"{p} is not an ONNX model ({type(exc).__name__})", "an ONNX file",
                             "export the model to ONNX first (torch.onnx.export, cleftedge export)") from None
    if not model.graph.node:
        raise CleftEdgeError(f"{p} is not an ONNX model (no graph)", "an ONNX file with a graph",
                             "export the model to ONNX first")
    return model


def embed_spec(model, spec: ModelSpec) -> None:
    """Put the spec JSON into model.metadata_props (replacing an older one)."""
    set_metadata(model, METADATA_KEY, spec.to_json())


def set_metadata(model, key: str, value: str) -> None:
    """Set one metadata_props entry (replacing an older one with that key, keeping the others)."""
    keep = [(p.key, p.value) for p in model.metadata_props if p.key != key]
    del model.metadata_props[:]
    for k, v in [*keep, (key, value)]:
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v


def spec_of(model, source: str = "model") -> ModelSpec | None:
    """The cleftedge spec embedded in an ONNX `model`'s metadata; None when it has none."""
    for p in model.metadata_props:
        if p.key == METADATA_KEY:
            return ModelSpec.from_json(p.value, source)
    return None


def read_spec(path: str | os.PathLike) -> ModelSpec | None:
    """The cleftedge spec embedded in the ONNX file at `path`; None when it has none."""
    return spec_of(load_onnx(path), str(path))


def opset_of(model) -> int:
    """The model's default-domain (ai.onnx) opset; 0 when it imports none."""
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
