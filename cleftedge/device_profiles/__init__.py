"""Device profiles: one TOML per cart target, validated on load. A user's own file works wherever a
name does. See docs/formats.md for the fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge import toml
from cleftedge.config_fields import ConfigFile, read_table
from cleftedge.device_profiles.fields import TABLES, TOP_FIELDS
from cleftedge.device_profiles.rules import value_problems
from cleftedge.errors import CleftEdgeError
from cleftedge.targets import names

if TYPE_CHECKING:
    from importlib.abc import Traversable


@dataclass(frozen=True)
class Profile:
    """One cart target's device profile (keys: device_profiles.fields, docs/formats.md)."""

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
        """Whether a bundle for this profile needs a passing QA attestation."""
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
        """The profile as plain data, its tables' keys in the file's order (profiles show/list --json)."""
        d = {k: getattr(self, k) for k in ("name", "description", "backend", "device", "precision", "recipe",
                                             "batch")}
        d["input_shape"] = list(self.input_shape)
        for table in ("budget", "toolkit", "target", "memory", "openvino", "tensorrt", "qa"):
            d[table] = {k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
                        for k, v in getattr(self, table).items()}
        return d


def _builtin_dir() -> Traversable:
    return resources.files("cleftedge.device_profiles")


def list_profiles() -> list[Profile]:
    """Every built-in profile, by name."""
    return [load_profile(p.name[:-5]) for p in sorted(_builtin_dir().iterdir(), key=lambda p: p.name)
            if p.name.endswith(".toml")]


def load_profile(name_or_path: str | Path) -> Profile:
    """A checked profile: a built-in one by name, or a user's own .toml file."""
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
    """A checked Profile from a profile's TOML text; `source` (its name or path) names it in the error line."""
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise CleftEdgeError(f"profile {source} is not valid TOML ({exc})", "a device profile TOML",
                             "fix the syntax (docs/formats.md)") from None
    where = ConfigFile(f"profile {source}", "fix the profile (docs/formats.md)", "docs/formats.md")
    given = read_table(TOP_FIELDS, data, where)
    tables = {name: read_table(fields, given.get(name, {}), where, name) for name, fields in TABLES.items() if name}
    top = tables[""] = {k: v for k, v in given.items() if k not in TABLES}
    for key in ("backend", "recipe"):  # both name a row of the target table
        if top[key] not in names():
            raise where.bad(key, top[key], "one of " + ", ".join(names()))
    problems = value_problems(tables)
    if problems:
        key, found, expected = problems[0]
        raise where.missing(key, expected) if found == "missing" else where.bad(key, found, expected)
    return Profile(name=top["name"], description=top["description"], backend=top["backend"], device=top["device"],
                   precision=top["precision"], recipe=top["recipe"], batch=top.get("batch", 1),
                   input_shape=tuple(top.get("input_shape", [])), budget=tables["budget"], toolkit=tables["toolkit"],
                   target=tables["target"], memory=tables["memory"], openvino=tables["openvino"],
                   tensorrt=tables["tensorrt"], qa=tables["qa"], source=source)
