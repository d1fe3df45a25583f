"""Everything about a TensorRT build that is not a TensorRT call: which flags for which version,
DLA where it exists, shapes, workspace, cache keys, and whether a plan can run on a machine.
Plain code, tested as data across every Jetson profile and TensorRT version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from cleftedge.device_profiles import list_profiles
from cleftedge.device_profiles.rules import NO_DLA_BOARDS, toolkit_accepts
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.compat import parse_version, plan_runs_here

__all__ = ["CHECKED_VERSIONS", "VERSIONED_NAMES", "BuildSettings", "build_machine_problems", "cache_key",
           "board_from_model", "dla_available", "float_layers_precision", "has_name", "onnx_float_type",
           "parse_version", "plan_runs_here", "profile_range", "profiles_for", "settings_for", "this_board"]

# The TensorRT releases whose Python API the conformance test checks every `trt` name against
# (tests/conformance: NVIDIA's binding sources; 11.4 from its wheel, its sources are not public).
CHECKED_VERSIONS = ("10.3", "10.7", "10.16", "11.1", "11.4")

# The one table of TensorRT names that only some supported versions bind: name -> (first version
# that has it, first version that does not; None: open). Code that uses one asks has_name() first;
# the conformance test checks the table against the binding sources of every 10.x and 11.x release.
VERSIONED_NAMES: dict[str, tuple[str | None, str | None]] = {
    "BuilderFlag.INT8": (None, "11.0"),  # weak typing (DLA on 10.x); 11.x builds INT8 only from Q/DQ
    "BuilderFlag.FP16": (None, "11.0"),
    "HardwareCompatibilityLevel.SAME_COMPUTE_CAPABILITY": ("10.9", None),
}


def has_name(name: str, v: tuple[int, ...]) -> bool:
    """Whether TensorRT version `v` binds `name` (a key of VERSIONED_NAMES)."""
    first, gone = VERSIONED_NAMES[name]
    return (first is None or v >= parse_version(first)) and (gone is None or v < parse_version(gone))


@dataclass(frozen=True)
class BuildSettings:
    trt_version: str
    strongly_typed: bool  # NetworkDefinitionCreationFlag.STRONGLY_TYPED (explicit on 10.x; always on for 11.x)
    set_strongly_typed_flag: bool  # 11.x: the flag is deprecated and ignored, so it is not passed
    int8_flag: bool  # BuilderFlag.INT8: only for a weakly typed DLA build on 10.x
    fp16_flag: bool  # BuilderFlag.FP16 beside INT8 on that DLA build, so layers without Q/DQ stay on the DLA
    dla_core: int | None
    gpu_fallback: bool
    workspace_bytes: int
    version_compatible: bool
    exclude_lean_runtime: bool
    hardware_compatibility: str
    optimization_level: int
    shapes: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # min, opt, max
    notes: tuple[str, ...] = field(default_factory=tuple)


def check_version(v: tuple[int, ...]) -> None:
    """Refuse a TensorRT version `v` older than 10.3 (CleftEdgeError)."""
    if v < (10, 3):
        raise CleftEdgeError(f"TensorRT {'.'.join(map(str, v))} is not supported",
                             "TensorRT 10.3 or newer (JetPack 6.1+); JetPack 5.x and 6.0 ship TensorRT 8.x",
                             "flash JetPack 6.1 or newer, or use a TensorRT 10.x/11.x container")


def _range_words(toolkit: dict) -> str:
    """"10.3..10.3", or "10.13, 10.16 or 11.4" for a profile that names its releases."""
    releases = toolkit.get("releases")
    if releases:
        return " or ".join([", ".join(releases[:-1]), releases[-1]] if len(releases) > 1 else releases)
    return f"{toolkit.get('min_version') or ''}..{toolkit.get('max_version') or ''}"


def profile_range(profile) -> str:
    """The TensorRT versions a profile builds with, as the errors name them: "TensorRT 10.3..10.3
    (the jetson-orin-nano profile's range, JetPack 6.1)"."""
    jetpack = profile.target.get("jetpack")
    return (f"TensorRT {_range_words(profile.toolkit)} (the {profile.name} profile's range"
            + (f", JetPack {jetpack})" if jetpack else ")"))


def check_profile_range(profile, v: tuple[int, ...]) -> None:
    """The TensorRT doing the build must be in the profile's toolkit range (JetPack 6 has no TensorRT 11)."""
    if not toolkit_accepts(profile.toolkit, v):
        raise CleftEdgeError(f"TensorRT {'.'.join(map(str, v))} is outside the {profile.name} profile's range "
                             f"{_range_words(profile.toolkit)}", "the TensorRT that the profile's JetPack ships",
                             "build on the cart's JetPack, or pick the profile for this JetPack")


def build_machine_problems(profile, compute_capability: str | None) -> list[str]:
    """Why this machine cannot build an engine for the profile's GPU (engines are tied to it)."""
    want = profile.target.get("compute_capability")
    hw = profile.tensorrt.get("hardware_compatibility", "none")
    if not compute_capability:
        return ["no CUDA GPU found on this machine"]
    if want and compute_capability != want and hw in ("none", "same_compute_capability"):
        # a same_compute_capability plan runs only on the build GPU's own compute capability
        return [f"this GPU is compute capability {compute_capability}, the {profile.name} profile's target is {want}"
                + (" (hardware_compatibility same_compute_capability)" if hw != "none" else "")]
    if hw == "ampere_plus" and tuple(map(int, compute_capability.split(".")[:2])) < (8, 0):
        return [f"this GPU is compute capability {compute_capability}; ampere_plus plans are built on 8.0 or newer"]
    return []


def dla_available(board: str, v: tuple[int, ...], jetpack: str | None) -> tuple[bool, str]:
    """Whether DLA exists for this board and TensorRT version, and why not."""
    if board in NO_DLA_BOARDS:
        return False, f"{board} has no DLA"
    if v[0] == 10:
        if v[:2] > (10, 7):
            return False, f"TensorRT {v[0]}.{v[1]} has no DLA (10.7 was the last 10.x release with DLA)"
        return True, ""
    if v[0] >= 11:
        jp = parse_version(jetpack) if jetpack else (0,)
        if v >= (11, 4, 1) and board == "agx-orin" and jp >= (7, 2, 2):
            return True, ""
        return False, "TensorRT 11 has DLA only from 11.4.1 on AGX Orin with JetPack 7.2.2+"
    return False, "unsupported TensorRT version"


def settings_for(profile, trt_version: str, input_shape: tuple[int, int, int], jetpack: str | None = None
                 ) -> BuildSettings:
    """The build settings for `profile` on `trt_version` (the TensorRT that will build the plan)."""
    v = parse_version(trt_version)
    check_version(v)
    check_profile_range(profile, v)
    if profile.input_shape and tuple(profile.input_shape) != tuple(input_shape):
        raise CleftEdgeError(f"the model's input is {tuple(input_shape)}, the {profile.name} profile's input_shape is "
                             f"{tuple(profile.input_shape)}", "the same (C, H, W)",
                             "fix input_shape in the profile or use the model the profile was made for")
    trt = profile.tensorrt
    board = profile.target.get("board", "")
    jetpack = jetpack or profile.target.get("jetpack")
    notes = []
    use_dla = False
    if trt.get("dla", False):
        use_dla, why = dla_available(board, v, jetpack)
        if not use_dla:
            notes.append(f"DLA asked for but not used: {why}; building for the GPU")
    hw = trt.get("hardware_compatibility", "none")  # one of HW_COMPAT (checked when the profile loads)
    if hw == "same_compute_capability" and not has_name("HardwareCompatibilityLevel.SAME_COMPUTE_CAPABILITY", v):
        raise CleftEdgeError(f"tensorrt.hardware_compatibility 'same_compute_capability' on TensorRT "
                             f"{'.'.join(map(str, v))}", "TensorRT 10.9 or newer for that level",
                             "use 'none' (build on the target) or 'ampere_plus'")
    if hw != "none":
        notes.append(f"hardware compatibility {hw}: whether such plans load on Jetson GPUs is unconfirmed")
    if use_dla and has_name("BuilderFlag.INT8", v):
        # JetPack 6 / TensorRT 10.3: DLA wants a weakly typed network with the INT8 flag
        strongly, int8 = False, True
        notes.append("DLA on TensorRT 10.x: weakly typed network with BuilderFlag.INT8 and GPU fallback")
    else:
        strongly, int8 = True, False  # explicit quantization from the Q/DQ ONNX; no precision flags
    batch = int(profile.batch)
    shape = (batch, *input_shape)
    # DLA needs min = opt = max in the optimisation profile; the GPU takes any batch up to the profile's
    lo = shape if use_dla else (1, *input_shape)
    ws_mib = int(profile.memory.get("workspace_mib", 1024))
    return BuildSettings(
        trt_version=".".join(map(str, v)), strongly_typed=strongly, set_strongly_typed_flag=strongly and v[0] == 10,
        int8_flag=int8, fp16_flag=int8 and has_name("BuilderFlag.FP16", v),
        dla_core=int(trt.get("dla_core", 0)) if use_dla else None,
        gpu_fallback=bool(trt.get("gpu_fallback", True)) if use_dla else False,
        workspace_bytes=ws_mib * (1 << 20), version_compatible=bool(trt.get("version_compatible", False)),
        exclude_lean_runtime=False, hardware_compatibility=hw,
        optimization_level=int(trt.get("optimization_level", 3)),
        shapes=(lo, shape, shape), notes=tuple(notes))


def float_layers_precision(s: BuildSettings, onnx_float: str) -> str:
    """The precision the plan's float (not quantized) layers were built in, as the manifest's
    engine.inference_precision names it: f16 where BuilderFlag.FP16 lets TensorRT pick it (the
    weakly typed DLA build on 10.x), else `onnx_float`, the Q/DQ ONNX's float type (a strongly typed
    network keeps the ONNX's types)."""
    return "f16" if s.fp16_flag else onnx_float


def onnx_float_type(model_path: Path) -> str:
    """The float type of the ONNX's input (f32, f16 or bf16; f32 for any other)."""
    import onnx

    from cleftedge.export.onnx_meta import load_onnx

    inputs = load_onnx(model_path).graph.input
    elem = inputs[0].type.tensor_type.elem_type if inputs else onnx.TensorProto.FLOAT
    return {onnx.TensorProto.FLOAT16: "f16", onnx.TensorProto.BFLOAT16: "bf16"}.get(elem, "f32")


def cache_key(trt_version: str, compute_capability: str, l4t: str | None, onnx_sha256: str) -> str:
    """Engines and timing caches are tied to all four: a change in any means a rebuild."""
    text = "|".join([".".join(map(str, parse_version(trt_version))), compute_capability or "?", l4t or "?",
                     onnx_sha256])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# /proc/device-tree/model ("NVIDIA Jetson AGX Orin Developer Kit") -> the profiles' target.board;
# the more specific names first
BOARD_MODELS = (("AGX Orin", "agx-orin"), ("Orin NX", "orin-nx"), ("Orin Nano", "orin-nano"), ("Thor", "thor"))
MODEL_FILE = Path("/proc/device-tree/model")


def board_from_model(text: str | None) -> str | None:
    """The Jetson board a device-tree model string names; None for anything else."""
    text = (text or "").replace("\0", " ")
    return next((board for key, board in BOARD_MODELS if "Jetson" in text and key in text), None)


def this_board() -> str | None:
    """This machine's Jetson board, or None (not a Jetson, or not one the profiles know)."""
    try:
        return board_from_model(MODEL_FILE.read_text(errors="replace")) if MODEL_FILE.is_file() else None
    except OSError:
        return None


def profiles_for(board: str | None, trt_version: str, profiles=None) -> list:
    """The TensorRT profiles for `board` whose TensorRT range holds `trt_version` (built-ins by default)."""
    profiles = list_profiles() if profiles is None else profiles
    v = parse_version(trt_version)
    found = []
    for p in profiles:
        if p.backend != "tensorrt" or p.target.get("board") != board:
            continue
        try:
            check_profile_range(p, v)
        except CleftEdgeError:
            continue
        found.append(p)
    return found
