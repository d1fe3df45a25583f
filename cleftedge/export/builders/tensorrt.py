"""TensorRT builder, written to the TensorRT 10.x (10.3+) and 11.x Python API. Not run on a GPU in
this round (the development machines have neither TensorRT nor a GPU): every TensorRT name here is
checked against NVIDIA's binding sources of each supported version by tests/conformance, the call
sequence against a fake TensorRT that knows only each version's names; `pytest -m tensorrt` runs
the real build on a Jetson.

Strongly typed networks from the Q/DQ ONNX with no precision flags (TensorRT 10 rejects FP16 with
STRONGLY_TYPED); DLA only where it exists (see tensorrt_settings.dla_available); an optimisation
profile for the batch shape (min = opt = max for DLA); the workspace limit; detailed profiling
verbosity so the engine inspector reports per-layer types; a timing cache kept beside the bundle;
the version-compatible flag where the profile asks. All decisions are made in tensorrt_settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.atomic import write_bytes
from cleftedge.errors import CleftEdgeError
from cleftedge.export.builders.base import BuildResult
from cleftedge.export.builders.tensorrt_settings import (
    BuildSettings,
    build_machine_problems,
    cache_key,
    float_layers_precision,
    onnx_float_type,
    profile_range,
    settings_for,
)
from cleftedge.hashing import sha256_file
from cleftedge.runtime.backends.tensorrt_plan import import_tensorrt
from cleftedge.runtime.bundle.machine import jetson_info

if TYPE_CHECKING:
    from cleftedge.device_profiles import Profile
    from cleftedge.spec import ModelSpec


def _network(trt, builder, s: BuildSettings):
    flags = 0
    if s.set_strongly_typed_flag:
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    return builder.create_network(flags)


def _parse(trt, network, logger, onnx_path: Path) -> None:
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise CleftEdgeError(f"TensorRT cannot parse {onnx_path.name}: {errors[0] if errors else 'unknown error'}",
                             "a Q/DQ ONNX that meets TensorRT's rules", "run 'cleftedge check-qdq' on it")


def _config(trt, builder, s: BuildSettings, input_name: str, timing_cache: bytes, notes: list[str]):
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, s.workspace_bytes)
    config.builder_optimization_level = s.optimization_level
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED  # per-layer types for the engine inspector
    if s.int8_flag:  # weakly typed DLA build on 10.x only (never with STRONGLY_TYPED)
        config.set_flag(trt.BuilderFlag.INT8)
    if s.fp16_flag:
        config.set_flag(trt.BuilderFlag.FP16)
    if s.dla_core is not None:
        config.default_device_type = trt.DeviceType.DLA
        config.DLA_core = s.dla_core
        if s.gpu_fallback:
            config.set_flag(trt.BuilderFlag.GPU_FALLBACK)
    if s.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    if s.hardware_compatibility == "ampere_plus":
        config.hardware_compatibility_level = trt.HardwareCompatibilityLevel.AMPERE_PLUS
    elif s.hardware_compatibility == "same_compute_capability":
        config.hardware_compatibility_level = trt.HardwareCompatibilityLevel.SAME_COMPUTE_CAPABILITY
    profile = builder.create_optimization_profile()
    profile.set_shape(input_name, *s.shapes)
    config.add_optimization_profile(profile)
    _timing_cache(config, timing_cache, notes)
    return config


def _timing_cache(config, saved: bytes, notes: list[str]) -> None:
    """Give the build a timing cache: the saved one, or a fresh one when TensorRT refuses it
    (create_timing_cache returns None for a damaged cache, set_timing_cache False for one from
    another device or version); a build never fails for a cache, but it says so."""
    if saved:
        cache = config.create_timing_cache(saved)
        if cache is not None and config.set_timing_cache(cache, ignore_mismatch=False):
            return
        notes.append("the saved timing cache was refused by TensorRT (damaged, or from another device or "
                     "version): built with a fresh one")
    cache = config.create_timing_cache(b"")
    if cache is None or not config.set_timing_cache(cache, ignore_mismatch=False):
        raise CleftEdgeError("TensorRT could not create a timing cache", "an empty timing cache for the build",
                             "check the TensorRT installation (see the TensorRT log above)")


def _save_timing_cache(config, path: Path, notes: list[str]) -> None:
    cache = config.get_timing_cache()
    data = cache.serialize() if cache is not None else None
    if data is None:
        notes.append("TensorRT gave no timing cache to keep: the next build times its layers again")
        return
    write_bytes(path, bytes(data))


def check_trt_qdq(model_path: Path) -> None:
    """Before any TensorRT call (and on machines without TensorRT): the model must be a Q/DQ ONNX that
    follows TensorRT's explicit-quantization rules (int8, zero point 0, per-channel weights)."""
    from cleftedge.export.onnx_meta import load_onnx
    from cleftedge.export.qdq_rules import check_model

    if model_path.suffix.lower() != ".onnx":
        raise CleftEdgeError(f"{model_path.name} is not an ONNX file", "a Q/DQ ONNX from the tensorrt recipe",
                             "run 'cleftedge calibrate --profile <jetson profile>' (it writes a .onnx)")
    violations = check_model(load_onnx(model_path))
    if violations:
        raise CleftEdgeError(f"{model_path.name} breaks TensorRT's Q/DQ rules ({len(violations)}): "
                             f"{violations[0].line()}", "a Q/DQ ONNX made by the tensorrt recipe",
                             f"see 'cleftedge check-qdq {model_path.name}'; calibrate with --profile <jetson profile>")


def build_tensorrt(model_path: Path, spec: ModelSpec, profile: Profile, engine_dir: Path,
                   cache_dir: Path | None) -> BuildResult:
    """The tensorrt builder: a TensorRT plan of the Q/DQ ONNX (its timing cache in `cache_dir`), into `engine_dir`
    for `profile`, with `spec` embedded. Returns the engine's files, precision, toolkit versions and checks; an
    unfit model or machine raises CleftEdgeError."""
    check_trt_qdq(model_path)
    trt = import_tensorrt(profile_range(profile))
    info = jetson_info()
    s = settings_for(profile, trt.__version__, spec.input.shape, info.get("jetpack"))
    problems = build_machine_problems(profile, info.get("compute_capability"))
    if problems:
        raise CleftEdgeError(problems[0], f"the {profile.name} target's GPU (engines are tied to the GPU architecture)",
                             "build on the cart itself, or on the same TensorRT version and GPU architecture")
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = _network(trt, builder, s)
    _parse(trt, network, logger, model_path)
    inputs = [network.get_input(i).name for i in range(network.num_inputs)]
    if inputs != [spec.input.name]:
        raise CleftEdgeError(f"{model_path.name} has inputs {inputs}",
                             f"one input named '{spec.input.name}' (the spec's)",
                             "fix the spec's input.name or the model")
    key = cache_key(trt.__version__, info.get("compute_capability", ""), info.get("l4t"), sha256_file(model_path))
    # the timing cache lives beside the bundle, never inside it (the bundle's files keep their hashes)
    cache_path = cache_dir / f"timing-{key}.cache" if cache_dir is not None else None
    notes = list(s.notes)
    config = _config(trt, builder, s, spec.input.name,
                     cache_path.read_bytes() if cache_path is not None and cache_path.is_file() else b"", notes)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise CleftEdgeError(f"TensorRT could not build an engine from {model_path.name}",
                             "a successful build (see the TensorRT log above)",
                             f"lower the workspace ({profile.memory.get('workspace_mib')} MiB) or check the model")
    (engine_dir / "model.plan").write_bytes(bytes(plan))
    if cache_path is not None:
        _save_timing_cache(config, cache_path, notes)
    return BuildResult(engine="model.plan", files=["model.plan"], precision="int8",
                       toolkit={"tensorrt": trt.__version__},
                       target={"compute_capability": info.get("compute_capability", ""),
                               "power_mode": info.get("power_mode", ""), "l4t": info.get("l4t", ""),
                               "jetpack": info.get("jetpack", ""), "board": profile.target.get("board", "")},
                       checks=["built by TensorRT on this device"], notes=notes,
                       settings={**s.__dict__, "cache_key": key},
                       inference_precision=float_layers_precision(s, onnx_float_type(model_path)),
                       extra={"timing_cache": cache_path} if cache_path is not None else {})
