"""OpenVINO builder: save the IR with the spec in rt_info, compile it once on the profile's device,
and check in the compiled model that every Convolution/MatMul fed by a FakeQuantize runs in i8/u8.
The model cache lives outside the bundle, so the bundle's files keep their hashes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.base import BuildResult
from cleftedge.lazy import require
from cleftedge.runtime.bundle.machine import has_openvino_device
from cleftedge.runtime.model_spec import set_ir_spec

if TYPE_CHECKING:
    from cleftedge.device_profiles import Profile
    from cleftedge.spec import ModelSpec

QUANTIZED_OPS = ("Convolution", "MatMul", "GroupConvolution")


def fed_by_fake_quantize(model) -> list[str]:
    """Names of compute ops whose activation input comes from a FakeQuantize."""
    names = []
    for op in model.get_ordered_ops():
        if op.get_type_name() in QUANTIZED_OPS:
            src = op.input_value(0).get_node()
            if src.get_type_name() == "FakeQuantize":
                names.append(op.get_friendly_name())
    return names


def low_precision_offenders(model, compiled) -> list[str]:
    """Ops fed by FakeQuantize that the compiled model does not run in i8/u8, as 'name (precision)'."""
    wanted = fed_by_fake_quantize(model)
    runtime = {}
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        if "originalLayersNames" not in info or "runtimePrecision" not in info:
            continue
        precision = info["runtimePrecision"].astype(str)
        for name in info["originalLayersNames"].astype(str).split(","):
            runtime[name] = precision
    def precision_of(name: str) -> str:
        # fused ops keep the original name, or a name derived from it ("<name>/DequantizationMultiply")
        if name in runtime:
            return runtime[name]
        derived = [p for rn, p in runtime.items() if rn.startswith(name + "/")]
        return derived[0] if derived else "not found"

    return [f"{name} ({precision_of(name)})" for name in wanted if precision_of(name) not in ("i8", "u8")]


def build_openvino(model_path: Path, spec: ModelSpec, profile: Profile, engine_dir: Path,
                   cache_dir: Path | None) -> BuildResult:
    """The openvino builder: the OpenVINO IR, compiled on the profile's device and checked to run its quantized ops
    in INT8, into `engine_dir` for `profile`, with `spec` embedded. Returns the engine's files, precision, toolkit
    versions and checks; an unfit model or machine raises CleftEdgeError."""
    ov = require("openvino", "openvino")
    core = ov.Core()
    model = core.read_model(str(model_path))
    if not fed_by_fake_quantize(model) and profile.precision == "int8":
        raise CleftEdgeError(f"{model_path.name} is not quantized (no FakeQuantize feeds a convolution)",
                             f"an INT8 model for the {profile.name} profile",
                             f"run 'cleftedge calibrate --profile {profile.name}' first")
    set_ir_spec(model, spec)
    xml = engine_dir / "model.xml"
    ov.save_model(model, str(xml), compress_to_fp16=False)
    device = profile.device
    if not has_openvino_device(device, core.available_devices):
        raise CleftEdgeError(f"OpenVINO device {device} is not present on this machine "
                             f"(found {', '.join(core.available_devices)})",
                             f"the {profile.name} profile's device to compile and check the engine",
                             "build on a machine with that device (the IR itself is portable), or pick intel-cpu")
    config = {"PERFORMANCE_HINT": profile.openvino.get("performance_hint", "LATENCY"),
              "INFERENCE_PRECISION_HINT": profile.inference_precision}  # pinned: what QA and the cart run
    if "num_streams" in profile.openvino:
        config["NUM_STREAMS"] = str(profile.openvino["num_streams"])
    recorded = dict(config)  # for the manifest: the model cache is this host's folder, meaningless on a cart
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        config["CACHE_DIR"] = str(cache_dir)
    compiled = core.compile_model(str(xml), device, config)
    offenders = low_precision_offenders(core.read_model(str(xml)), compiled)
    if offenders:
        raise CleftEdgeError(f"{len(offenders)} quantized ops do not run in INT8 on {device}: "
                             + ", ".join(offenders[:5]), "every Convolution/MatMul fed by a FakeQuantize in i8/u8",
                             "check the calibration recipe (cleftedge calibrate --profile) and the device")
    checked = len(fed_by_fake_quantize(model))
    return BuildResult(engine="model.xml", files=["model.xml", "model.bin"], precision="int8",
                       toolkit={"openvino": ov.get_version()}, target={"device": device},
                       checks=[f"compiled on {device}; {checked} quantized convolution/matmul ops run in i8/u8"],
                       settings={"device": device, **recorded}, inference_precision=profile.inference_precision)
