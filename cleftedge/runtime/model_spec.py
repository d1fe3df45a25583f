"""Where a model's spec comes from: `spec=` (a ModelSpec or a .toml/.json path), ONNX
metadata_props, an OpenVINO IR's rt_info["cleftedge"]["spec"]; a bare TensorRT plan has none.

Reading ONNX metadata needs neither the onnx package nor onnxruntime: a cart may have only
OpenVINO, so a tiny protobuf reader walks ModelProto's top-level fields and picks field 14
(metadata_props). A backend that already holds an onnxruntime session passes its
`get_modelmeta().custom_metadata_map` instead (creating a session just to read metadata would
optimise the whole graph first).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cleftedge.errors import CleftEdgeError
from cleftedge.spec import METADATA_KEY, ModelSpec, load_spec
from cleftedge.targets import target_for_path

IR_SPEC_PATH = ["cleftedge", "spec"]  # rt_info["cleftedge"]["spec"], a JSON string

_MODEL_METADATA_FIELD = 14  # ModelProto.metadata_props (repeated StringStringEntryProto)
_MODEL_GRAPH_FIELD, _GRAPH_NODE_FIELD, _NODE_OP_TYPE_FIELD = 7, 1, 4  # ModelProto.graph.node[].op_type


# --- spec resolution ---------------------------------------------------------

def resolve_spec(model_path: str | os.PathLike, spec: ModelSpec | str | os.PathLike | None = None,
                 embedded: dict[str, str] | None = None) -> ModelSpec:
    """The spec to run `model_path` with: `spec=` wins, else what the model file carries.

    `embedded` is metadata a backend has already read (an ORT session's custom metadata map).
    """
    if isinstance(spec, ModelSpec):
        return spec
    if spec is not None:
        return load_spec(Path(spec))
    path = Path(model_path)
    text = None
    if embedded is not None:
        text = embedded.get(METADATA_KEY)
    elif path.suffix.lower() == ".onnx":
        text = read_onnx_metadata(path).get(METADATA_KEY)
    elif path.suffix.lower() == ".xml":
        text = read_ir_spec_text(path)
    if text is None:
        raise missing_spec_error(path)
    return ModelSpec.from_json(text, f"{path.name} ({METADATA_KEY})")


def missing_spec_error(path: Path) -> CleftEdgeError:
    """The one-line error for a model file that carries no spec (a bare TensorRT plan says so)."""
    if target_for_path(path) == "tensorrt":  # a plan file (the target table's suffixes)
        return CleftEdgeError(f"{path.name} is a bare TensorRT plan and carries no model spec",
                              "a spec for a plan", "pass --spec spec.toml (the spec of the ONNX it was built from)")
    return CleftEdgeError(f"{path.name} carries no cleftedge model spec", f"'{METADATA_KEY}' in the model's metadata",
                          "pass --spec spec.toml, or re-export the model with 'cleftedge export'")


# --- OpenVINO IR rt_info -------------------------------------------------------

def set_ir_spec(model: Any, spec: ModelSpec) -> None:
    """Store the spec in an ov.Model's rt_info (saved with ov.save_model into the .xml)."""
    model.set_rt_info(spec.to_json(), IR_SPEC_PATH)


def get_ir_spec(model: Any, source: str = "IR") -> ModelSpec | None:
    """The spec stored by set_ir_spec, or None when the model has none."""
    if not model.has_rt_info(IR_SPEC_PATH):
        return None
    return ModelSpec.from_json(model.get_rt_info(IR_SPEC_PATH).astype(str), f"{source} (rt_info cleftedge.spec)")


def read_ir_spec_text(xml_path: str | os.PathLike) -> str | None:
    """The spec JSON from an IR .xml without OpenVINO: <rt_info><cleftedge><spec value=.../>."""
    path = Path(xml_path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise CleftEdgeError(f"cannot read OpenVINO IR {path} ({exc})", "an IR .xml written by OpenVINO",
                             "check the path, or re-save the model with ov.save_model") from None
    node = root.find("rt_info/cleftedge/spec")
    return None if node is None else node.get("value")


# --- ONNX metadata without onnx --------------------------------------------------

@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[memoryview]:
    """The file's bytes, memory-mapped (weights are skipped, never copied)."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise _bad_onnx(path, "the file is empty")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm, memoryview(mm) as view:
                yield view
    except OSError as exc:
        raise CleftEdgeError(f"cannot read {path} ({exc.strerror or exc})", "a readable ONNX file",
                             "check the path") from None


def read_onnx_metadata(path: str | os.PathLike) -> dict[str, str]:
    """ModelProto.metadata_props of an ONNX file as a dict (later keys win, as in onnx)."""
    p = Path(path)
    with _mapped(p) as view:
        return parse_model_metadata(view, p)


def read_onnx_op_types(path: str | os.PathLike) -> set[str]:
    """The op types of the main graph's nodes (to tell a Q/DQ INT8 model from an FP32 one)."""
    p = Path(path)
    ops: set[str] = set()
    with _mapped(p) as view:
        try:
            for field, wire, start, end in _fields(view, 0, len(view)):
                if field != _MODEL_GRAPH_FIELD or wire != 2:
                    continue
                for nf, nw, ns, ne in _fields(view, start, end):
                    if nf == _GRAPH_NODE_FIELD and nw == 2:
                        ops.update(bytes(view[s:e]).decode("utf-8") for f2, w2, s, e in _fields(view, ns, ne)
                                   if f2 == _NODE_OP_TYPE_FIELD and w2 == 2)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad_onnx(p, str(exc)) from None
    return ops


def parse_model_metadata(buf: memoryview | bytes, source: Path | str = "model") -> dict[str, str]:
    """Walk the top-level fields of a serialised ModelProto; decode field 14 entries."""
    view = memoryview(buf)
    out: dict[str, str] = {}
    try:
        for field, wire, start, end in _fields(view, 0, len(view)):
            if field == _MODEL_METADATA_FIELD and wire == 2:
                key, value = _string_entry(view, start, end)
                out[key] = value
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_onnx(Path(str(source)), str(exc)) from None
    finally:
        view.release()
    return out


def _string_entry(view: memoryview, start: int, end: int) -> tuple[str, str]:
    key = value = ""
    for field, wire, s, e in _fields(view, start, end):
        if wire == 2 and field == 1:
            key = bytes(view[s:e]).decode("utf-8")
        elif wire == 2 and field == 2:
            value = bytes(view[s:e]).decode("utf-8")
    return key, value


def _fields(view: memoryview, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield (field number, wire type, payload start, payload end) for each field in [pos, end)."""
    while pos < end:
        tag, pos = _varint(view, pos, end)
        field, wire = tag >> 3, tag & 7
        if field == 0:
            raise ValueError("field number 0")
        if wire == 0:
            _, pos = _varint(view, pos, end)
            continue
        if wire == 1:
            start, pos = pos, pos + 8
        elif wire == 5:
            start, pos = pos, pos + 4
        elif wire == 2:
            length, start = _varint(view, pos, end)
            pos = start + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > end:
            raise ValueError("truncated protobuf field")
        yield field, wire, start, pos


def _varint(view: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = view[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _bad_onnx(path: Path, why: str) -> CleftEdgeError:
    return CleftEdgeError(f"{path.name} is not a readable ONNX model ({why})", "a serialised ONNX ModelProto",
                          "re-export the model with 'cleftedge export'")
