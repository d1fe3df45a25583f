"""Device profiles: one TOML per cart target, validated on load. A user's own file works wherever a
name does. See docs/formats.md for the fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cleftedge import toml
from cleftedge.device_profiles.rules import value_problems
from cleftedge.errors import CleftEdgeError
from cleftedge.targets import names

# table -> key -> (type, required); "" is the top level
SCHEMA: dict[str, dict[str, tuple[type | tuple, bool]]] = {
    "": {"name": (str, True), "description": (str, True), "backend": (str, True), "device": (str, True),
         "precision": (str, True), "recipe": (str, True), "batch": (int, False), "input_shape": (list, False)},
    "budget": {"fps": ((int, float), True), "latency_ms": ((int, float), True)},
    "toolkit": {"name": (str, True), "min_version": (str, True), "max_version": (str, False)},
    "target": {"board": (str, False), "compute_capability": (str, False), "jetpack": (str, False),
               "l4t": (str, False), "power_mode": (str, False), "cpu": (str, False)},
    "memory": {"workspace_mib": (int, False), "max_memory_mib": (int, False)},
    "openvino": {"performance_hint": (str, False), "num_streams": (int, False), "cache": (bool, False),
                 "inference_precision": (str, False)},
    "tensorrt": {"dla": (bool, False), "dla_core": (int, False), "gpu_fallback": (bool, False),
                 "version_compatible": (bool, False), "hardware_compatibility": (str, False),
                 "optimization_level": (int, False)},
    "qa": {"required": (bool, False), "policy_floor": (dict, False), "permit": (list, False),
           "require_lineage": (bool, False)},
}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    backend: str
    device: str
    precision: str
    recipe: str
    batch: int
    input_shape: tuple[int, ...]
    budget: dict[str, float]
    toolkit: dict[str, str]
    target: dict[str, str] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)
    openvino: dict[str, Any] = field(default_factory=dict)
    tensorrt: dict[str, Any] = field(default_factory=dict)
    qa: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def qa_required(self) -> bool:
        return bool(self.qa.get("required", False))

    @property
    def inference_precision(self) -> str | None:
        """The precision the engine's float layers run in, pinned at build, in QA and on the cart: the
        profile's own (GPU and NPU profiles must state it), f32 on CPUs (OpenVINO would pick bf16 on
        CPUs that have it), f32 for onnxruntime; None for TensorRT (strongly typed: the ONNX's types)."""
        if self.backend == "openvino":
            return self.openvino.get("inference_precision") or "f32"
        return "f32" if self.backend == "onnxruntime" else None

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("name", "description", "backend", "device", "precision", "recipe",
                                             "batch")}
        d["input_shape"] = list(self.input_shape)
        for table in ("budget", "toolkit", "target", "memory", "openvino", "tensorrt", "qa"):
            d[table] = {k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
                        for k, v in getattr(self, table).items()}
        return d


def _builtin_dir():
    return resources.files("cleftedge.device_profiles")


def list_profiles() -> list[Profile]:
    return [load_profile(p.name[:-5]) for p in sorted(_builtin_dir().iterdir(), key=lambda p: p.name)
            if p.name.endswith(".toml")]


def load_profile(name_or_path: str | Path) -> Profile:
    text = str(name_or_path)
    path = Path(text)
    if text.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise CleftEdgeError(f"profile file {path} does not exist", "a profile name or a .toml file",
                                 "see 'cleftedge profiles list'")
        return parse_profile(path.read_text(encoding="utf-8"), str(path))
    return parse_profile(builtin_text(text), text)


def builtin_text(name: str) -> str:
    """The TOML text of a built-in profile: what load_profile parses, and a start for a user's own."""
    builtin = _builtin_dir().joinpath(f"{name}.toml")
    if not builtin.is_file():
        names = ", ".join(p.name for p in list_profiles())
        raise CleftEdgeError(f"unknown device profile '{name}'", f"one of {names} or a .toml file",
                             "see 'cleftedge profiles list'")
    return builtin.read_text(encoding="utf-8")


def parse_profile(text: str, source: str) -> Profile:
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise CleftEdgeError(f"profile {source} is not valid TOML ({exc})", "a device profile TOML",
                             "fix the syntax (docs/formats.md)") from None
    tables: dict[str, dict] = {"": {k: v for k, v in data.items() if not isinstance(v, dict)}}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in SCHEMA:
                raise _bad(source, key, "unknown table", "tables: " + ", ".join(t for t in SCHEMA if t))
            tables[key] = value
    for required in ("budget", "toolkit"):
        tables.setdefault(required, {})
    for table, values in tables.items():
        _check_table(source, table, values)
    top = tables[""]
    for key in ("backend", "recipe"):  # both name a row of the target table
        if top[key] not in names():
            raise _bad(source, key, top[key], "one of " + ", ".join(names()))
    shape = top.get("input_shape", [])
    if not all(isinstance(v, int) and v > 0 for v in shape):
        raise _bad(source, "input_shape", shape, "a list of positive integers [C, H, W] (or leave it out)")
    batch = top.get("batch", 1)
    if batch < 1:
        raise _bad(source, "batch", batch, "a positive integer")
    problems = value_problems(tables)
    if problems:
        raise _bad(source, *problems[0])
    return Profile(name=top["name"], description=top["description"], backend=top["backend"], device=top["device"],
                   precision=top["precision"], recipe=top["recipe"], batch=batch, input_shape=tuple(shape),
                   budget=tables.get("budget", {}), toolkit=tables.get("toolkit", {}), target=tables.get("target", {}),
                   memory=tables.get("memory", {}), openvino=tables.get("openvino", {}),
                   tensorrt=tables.get("tensorrt", {}), qa=tables.get("qa", {}), source=source)


def _check_table(source: str, table: str, values: dict) -> None:
    schema = SCHEMA[table]
    for key, value in values.items():
        where = f"{table}.{key}" if table else key
        if key not in schema:
            raise _bad(source, where, "unknown key", "one of " + ", ".join(schema))
        kind, _ = schema[key]
        if isinstance(value, bool) and kind is not bool:
            raise _bad(source, where, value, f"a {getattr(kind, '__name__', 'number')}")
        if not isinstance(value, kind):
            raise _bad(source, where, value, f"a {getattr(kind, '__name__', 'number')}")
    missing = [k for k, (_, required) in schema.items() if required and k not in values]
    if missing:
        raise _bad(source, f"{table + '.' if table else ''}{missing[0]}", "missing", "add it (docs/formats.md)")


def _bad(source: str, key: str, found: Any, expected: str) -> CleftEdgeError:
    return CleftEdgeError(f"profile {source}: '{key}' is {found!r}" if found not in ("missing", "unknown key",
                          "unknown table") else f"profile {source}: {found} '{key}'", expected,
                          "fix the profile (docs/formats.md)")
