"""ModelSpec: how to feed a model a frame and how to read its answer.

Stored as JSON in ONNX metadata_props (key METADATA_KEY), in an OpenVINO IR's rt_info
and in a bundle manifest; loadable from a TOML file whose keys are the field names.
Parsed field by field with validation: never eval'd.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cleftedge import toml as tomllib
from cleftedge.config_fields import ConfigFile, Field, read_table
from cleftedge.errors import CleftEdgeError

SCHEMA_VERSION = 1
METADATA_KEY = "cleftedge.spec"

LAYOUTS = ("NCHW",)
COLORS = ("GRAY", "RGB", "BGR")
RESIZE_MODES = ("stretch", "letterbox", "letterbox_topleft", "short_side_crop")
INTERPOLATIONS = ("auto", "linear", "area", "cubic", "lanczos")  # auto: area when shrinking, else linear
OUTPUT_KINDS = ("logits", "probabilities")
ACTIVATIONS = ("softmax", "sigmoid", "none")


@dataclass(frozen=True)
class InputSpec:
    """How a frame becomes the model's input tensor (keys: INPUT_FIELDS, docs/formats.md)."""

    name: str
    height: int
    width: int
    channels: int = 1
    color: str = "GRAY"
    layout: str = "NCHW"
    resize: str = "stretch"
    pad_value: float = 0.0
    scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    crop_sector: bool = False
    resize_short: int = 0  # short_side_crop: the shorter side is resized to this, then centre-cropped (0: max(H, W))
    interpolation: str = "auto"

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one frame's tensor."""
        return (self.channels, self.height, self.width)


@dataclass(frozen=True)
class OutputSpec:
    """How the model's output becomes a score and a flag (keys: OUTPUT_FIELDS, docs/formats.md)."""

    name: str
    class_names: tuple[str, ...] = ("normal", "cleft")
    positive_classes: tuple[int, ...] = (1,)
    kind: str = "logits"
    activation: str = "softmax"
    threshold: float = 0.5
    heatmap: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """How to feed a model a frame and how to read its answer (keys: SPEC_FIELDS, docs/formats.md)."""

    input: InputSpec
    output: OutputSpec
    model_name: str = "model"
    model_version: str = "0"
    schema: int = SCHEMA_VERSION
    notes: str = ""

    # --- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-able data (tuples as lists): what to_json and spec_toml write."""
        d = asdict(self)
        for part in ("input", "output"):
            for k, v in d[part].items():
                if isinstance(v, tuple):
                    d[part][k] = list(v)
        return d

    def to_json(self) -> str:
        """The spec as canonical JSON (sorted keys): what ONNX metadata and bundle manifests hold."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any, source: str = "spec") -> ModelSpec:
        """A checked spec from parsed TOML/JSON data; `source` names it in the error line."""
        return _parse_spec(data, source)

    @classmethod
    def from_json(cls, text: str, source: str = "spec") -> ModelSpec:
        """A checked spec from JSON text (never evaluated); `source` names it in the error line."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise CleftEdgeError(
                f"{source}: the model spec is not valid JSON ({exc})",
                "a JSON object with 'input' and 'output' sections",
                "re-export the model with 'cleftedge export' or pass --spec spec.toml",
            ) from None
        return _parse_spec(data, source)

    @classmethod
    def from_toml(cls, path: str | Path) -> ModelSpec:
        """A checked spec from a TOML file whose keys are the field names."""
        p = Path(path)
        if not p.is_file():
            raise CleftEdgeError(
                f"spec file {p} does not exist",
                "a TOML file with [input] and [output] tables",
                "check the path given to --spec",
            )
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CleftEdgeError(
                f"spec file {p} is not valid TOML ({exc})",
                "a TOML file with [input] and [output] tables",
                "fix the syntax (see docs/formats.md)",
            ) from None
        return _parse_spec(data, str(p))

    def replace_threshold(self, threshold: float) -> ModelSpec:
        """This spec with another operating threshold."""
        return replace(self, output=replace(self.output, threshold=float(threshold)))


def load_spec(path: str | Path) -> ModelSpec:
    """Load a spec from a .toml or .json file."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        if not p.is_file():
            raise CleftEdgeError(f"spec file {p} does not exist", "a .toml or .json spec", "check --spec")
        return ModelSpec.from_json(p.read_text(encoding="utf-8"), str(p))
    return ModelSpec.from_toml(p)


# --- validation: one field table per section (config_fields); rules across fields in the parsers ----

_FIX = "fix the spec (field reference: docs/formats.md)"
_NAME = "a non-empty tensor name"
INPUT_FIELDS: tuple[Field, ...] = (
    Field("name", str, required=True, pattern=r"\S", expected=_NAME),
    Field("height", int, required=True, low=8, high=8192),
    Field("width", int, required=True, low=8, high=8192),
    Field("channels", int, choices=(1, 3), expected="1 or 3"),
    Field("color", str, choices=COLORS),
    Field("layout", str, choices=LAYOUTS),
    Field("resize", str, choices=RESIZE_MODES),
    Field("pad_value", float),
    Field("scale", float, low=0, low_open=True, expected="a positive number"),
    Field("mean", (float, list), items=float, expected="a number or a list of numbers (one per channel)"),
    Field("std", (float, list), items=float, low=0, low_open=True,
          expected="a positive number or a list of positive numbers (one per channel)"),
    Field("crop_sector", bool),
    Field("resize_short", int, expected="an integer: 0, or from the crop size to 8192"),
    Field("interpolation", str, choices=INTERPOLATIONS),
)
OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("name", str, required=True, pattern=r"\S", expected=_NAME),
    Field("class_names", list, items=str, pattern="(?s).", expected="a non-empty list of class names"),
    Field("positive_classes", (list, int), items=int, low=0, expected="a class index or a list of class indices"),
    Field("kind", str, choices=OUTPUT_KINDS),
    Field("activation", str, choices=ACTIVATIONS),
    Field("threshold", float, low=0.0, high=1.0, expected="a probability from 0 to 1"),
    Field("heatmap", (str, type(None)), expected="the name of a heat-map output (or leave it out)"),
)
SPEC_FIELDS: tuple[Field, ...] = (
    Field("input", dict, required=True, expected="a table of input fields"),
    Field("output", dict, required=True, expected="a table of output fields"),
    Field("model_name", str),
    Field("model_version", (str, int, float), expected="a version string (or a number)"),
    Field("schema", int, expected=f"an integer, {SCHEMA_VERSION} or older"),
    Field("notes", str),
)


def _parse_input(t: dict[str, Any], where: ConfigFile) -> InputSpec:
    """The [input] section (its keys checked by INPUT_FIELDS) with its defaults and cross-field rules."""
    channels = t.get("channels", 1)
    color = t.get("color", "GRAY" if channels == 1 else "RGB")
    if (channels == 1) != (color == "GRAY"):
        raise where.bad("input.color", color, "GRAY for 1 channel, RGB or BGR for 3 channels")
    mean, std = _per_channel(t.get("mean", 0.0), channels), _per_channel(t.get("std", 1.0), channels)
    if len(mean) != channels or len(std) != channels:
        raise where.bad("input.mean/std", (list(mean), list(std)), f"one value or {channels} values each")
    return InputSpec(
        name=t["name"],
        height=t["height"],
        width=t["width"],
        channels=channels,
        color=color,
        layout=t.get("layout", "NCHW"),
        resize=t.get("resize", "stretch"),
        pad_value=t.get("pad_value", 0.0),
        scale=t.get("scale", 1.0 / 255.0),
        mean=mean,
        std=std,
        crop_sector=t.get("crop_sector", False),
        resize_short=_resize_short(t, where),
        interpolation=t.get("interpolation", "auto"),
    )


def _per_channel(value: float | list[float], channels: int) -> tuple[float, ...]:
    """mean or std as one value per channel (one value is every channel's)."""
    values = tuple(value) if isinstance(value, list) else (value,)
    return values * channels if len(values) == 1 else values


def _resize_short(t: dict[str, Any], where: ConfigFile) -> int:
    """S of short_side_crop (ImageNet evaluation: S = 256 for a 224 x 224 crop); at least the crop."""
    value = t.get("resize_short", 0)
    crop = max(t["height"], t["width"])
    if value and t.get("resize", "stretch") != "short_side_crop":
        raise where.bad("input.resize_short", value, "only with resize = \"short_side_crop\"")
    if value and not crop <= value <= 8192:
        raise where.bad("input.resize_short", value, f"an integer from {crop} (the crop) to 8192")
    return value


def _parse_output(t: dict[str, Any], where: ConfigFile) -> OutputSpec:
    """The [output] section (its keys checked by OUTPUT_FIELDS) with its defaults and cross-field rules."""
    names = t.get("class_names", ["normal", "cleft"])
    if not names:
        raise where.bad("output.class_names", names, "a non-empty list of class names")
    positive = t.get("positive_classes", [1] if len(names) > 1 else [0])
    positive = [positive] if isinstance(positive, int) else positive
    if not positive or any(i >= len(names) for i in positive):
        raise where.bad("output.positive_classes", positive,
                        f"a non-empty list of class indices from 0 to {len(names) - 1}")
    kind = t.get("kind", "logits")
    activation = t.get("activation", "softmax" if kind == "logits" else "none")
    if kind == "probabilities" and activation != "none":
        raise where.bad("output.activation", activation, "'none' when output.kind is 'probabilities'")
    if kind == "logits" and activation == "none":
        raise where.bad("output.activation", activation, "'softmax' or 'sigmoid' when output.kind is 'logits'")
    return OutputSpec(
        name=t["name"],
        class_names=tuple(names),
        positive_classes=tuple(sorted(set(positive))),
        kind=kind,
        activation=activation,
        threshold=t.get("threshold", 0.5),
        heatmap=t.get("heatmap") or None,  # "" is none too
    )


def _parse_spec(data: Any, source: str) -> ModelSpec:
    """A ModelSpec from a parsed TOML/JSON spec; `source` names it in the error line."""
    if not isinstance(data, dict):
        raise CleftEdgeError(f"{source}: the model spec is {type(data).__name__}",
                             "a table with 'input' and 'output' sections", "see docs/formats.md")
    where = ConfigFile(source, _FIX, "docs/formats.md")
    top = read_table(SPEC_FIELDS, data, where)
    schema = top.get("schema", SCHEMA_VERSION)
    if schema > SCHEMA_VERSION:
        raise CleftEdgeError(f"{source}: spec schema {schema} is newer than this cleftedge understands",
                             f"schema {SCHEMA_VERSION} or older", "upgrade cleftedge")
    return ModelSpec(
        input=_parse_input(read_table(INPUT_FIELDS, top["input"], where, "input"), where),
        output=_parse_output(read_table(OUTPUT_FIELDS, top["output"], where, "output"), where),
        model_name=top.get("model_name", "model"),
        model_version=str(top.get("model_version", "0")),
        schema=schema,
        notes=top.get("notes", ""),
    )


def spec_toml(spec: ModelSpec) -> str:
    """Render a spec as TOML (the format `--spec` reads)."""
    d = spec.to_dict()
    lines = []
    for key in ("model_name", "model_version", "schema", "notes"):
        lines.append(f"{key} = {_toml_value(d[key])}")
    for part in ("input", "output"):
        lines.append(f"\n[{part}]")
        for k, v in d[part].items():
            if v is not None:
                lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v))

