"""onnxruntime builder: the QDQ ONNX is the engine; checked by loading it on the CPU provider."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.base import BuildResult
from cleftedge.export.onnx_meta import embed_spec, load_onnx
from cleftedge.lazy import require

if TYPE_CHECKING:
    from cleftedge.device_profiles import Profile
    from cleftedge.spec import ModelSpec


def build_onnxruntime(model_path: Path, spec: ModelSpec, profile: Profile, engine_dir: Path,
                      cache_dir: Path | None) -> BuildResult:
    """The onnxruntime builder: the Q/DQ ONNX, checked to load on onnxruntime CPU, into `engine_dir` for `profile`,
    with `spec` embedded. Returns the engine's files, precision, toolkit versions and checks; an unfit model or
    machine raises CleftEdgeError."""
    ort = require("onnxruntime", "onnxruntime")
    model = load_onnx(model_path)
    q = sum(1 for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear"))
    if q == 0 and profile.precision == "int8":
        raise CleftEdgeError(f"{model_path.name} has no QuantizeLinear/DequantizeLinear nodes",
                             f"an INT8 QDQ model for the {profile.name} profile",
                             f"run 'cleftedge calibrate --profile {profile.name}' first")
    embed_spec(model, spec)
    out = engine_dir / "model.onnx"
    out.write_bytes(model.SerializeToString())
    ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])  # loads: the engine is usable
    return BuildResult(engine="model.onnx", files=["model.onnx"], precision="int8",
                       toolkit={"onnxruntime": ort.__version__}, target={"device": "CPU"},
                       checks=[f"loaded on onnxruntime CPU; {q} Q/DQ nodes"], inference_precision="f32")
