"""ModelSpec: how to feed a model a frame and how to read its answer.

Stored as JSON in ONNX metadata_props (key METADATA_KEY), in an OpenVINO IR's rt_info
and in a bundle manifest; loadable from a TOML file whose keys are the field names.
Parsed field by field with validation: never eval'd.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from cleftedge import toml as tomllib
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
    name: str
    class_names: tuple[str, ...] = ("normal", "cleft")
    positive_classes: tuple[int, ...] = (1,)
    kind: str = "logits"
    activation: str = "softmax"
    threshold: float = 0.5
    heatmap: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    input: InputSpec
    output: OutputSpec
    model_name: str = "model"
    model_version: str = "0"
    schema: int = SCHEMA_VERSION
    notes: str = ""

    # --- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for part in ("input", "output"):
            for k, v in d[part].items():
                if isinstance(v, tuple):
                    d[part][k] = list(v)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any, source: str = "spec") -> ModelSpec:
        return _parse_spec(data, source)

    @classmethod
    def from_json(cls, text: str, source: str = "spec") -> ModelSpec:
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
        return replace(self, output=replace(self.output, threshold=float(threshold)))


def load_spec(path: str | Path) -> ModelSpec:
    """Load a spec from a .toml or .json file."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        if not p.is_file():
            raise CleftEdgeError(f"spec file {p} does not exist", "a .toml or .json spec", "check --spec")
        return ModelSpec.from_json(p.read_text(encoding="utf-8"), str(p))
    return ModelSpec.from_toml(p)


# --- validation ----------------------------------------------------------

def _bad(source: str, key: str, found: Any, expected: str) -> CleftEdgeError:
    return CleftEdgeError(
        f"{source}: '{key}' is {found!r}",
        expected,
        "fix the spec (field reference: docs/formats.md)",
    )


def _get(table: dict, key: str, source: str, kind: type | tuple, default: Any = ..., where: str = "") -> Any:
    name = f"{where}.{key}" if where else key
    if key not in table:
        if default is ...:
            raise CleftEdgeError(f"{source}: required field '{name}' is missing", f"'{name}' in the spec",
                                 "add it (field reference: docs/formats.md)")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is int and isinstance(value, bool):
        raise _bad(source, name, value, "an integer")
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        raise _bad(source, name, value, "a value of type " + "/".join(k.__name__ for k in kinds))
    if isinstance(value, float) and not math.isfinite(value):
        raise _bad(source, name, value, "a finite number")
    return value


def _choice(value: str, options: tuple[str, ...], source: str, name: str) -> str:
    if value not in options:
        raise _bad(source, name, value, "one of " + ", ".join(options))
    return value


def _floats(value: Any, source: str, name: str) -> tuple[float, ...]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _bad(source, name, value, "a number or a non-empty list of numbers")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _bad(source, name, value, "a list of finite numbers")
        out.append(float(v))
    return tuple(out)


def _check_unknown(table: dict, allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CleftEdgeError(
            f"{source}: unknown key '{where + '.' if where else ''}{unknown[0]}'",
            "only: " + ", ".join(sorted(allowed)),
            "remove or rename it (field reference: docs/formats.md)",
        )


def _parse_input(t: Any, source: str) -> InputSpec:
    if not isinstance(t, dict):
        raise _bad(source, "input", t, "a table of input fields")
    _check_unknown(t, {f.name for f in fields(InputSpec)}, source, "input")
    w = "input"
    channels = _get(t, "channels", source, int, 1, w)
    if channels not in (1, 3):
        raise _bad(source, "input.channels", channels, "1 or 3")
    color = _choice(_get(t, "color", source, str, "GRAY" if channels == 1 else "RGB", w), COLORS, source,
                    "input.color")
    if (channels == 1) != (color == "GRAY"):
        raise _bad(source, "input.color", color, "GRAY for 1 channel, RGB or BGR for 3 channels")
    height = _get(t, "height", source, int, where=w)
    width = _get(t, "width", source, int, where=w)
    for key, v in (("height", height), ("width", width)):
        if not 8 <= v <= 8192:
            raise _bad(source, f"input.{key}", v, "an integer from 8 to 8192")
    mean = _floats(_get(t, "mean", source, (list, int, float), [0.0] * channels, w), source, "input.mean")
    std = _floats(_get(t, "std", source, (list, int, float), [1.0] * channels, w), source, "input.std")
    if len(mean) == 1:
        mean = mean * channels
    if len(std) == 1:
        std = std * channels
    if len(mean) != channels or len(std) != channels:
        raise _bad(source, "input.mean/std", (list(mean), list(std)), f"one value or {channels} values each")
    if any(s <= 0 for s in std):
        raise _bad(source, "input.std", list(std), "positive numbers")
    scale = _get(t, "scale", source, float, 1.0 / 255.0, w)
    if scale <= 0:
        raise _bad(source, "input.scale", scale, "a positive number")
    return InputSpec(
        name=_nonempty(_get(t, "name", source, str, where=w), source, "input.name"),
        height=height,
        width=width,
        channels=channels,
        color=color,
        layout=_choice(_get(t, "layout", source, str, "NCHW", w), LAYOUTS, source, "input.layout"),
        resize=_choice(_get(t, "resize", source, str, "stretch", w), RESIZE_MODES, source, "input.resize"),
        pad_value=_get(t, "pad_value", source, float, 0.0, w),
        scale=scale,
        mean=mean,
        std=std,
        crop_sector=_get(t, "crop_sector", source, bool, False, w),
        resize_short=_resize_short(t, source, height, width),
        interpolation=_choice(_get(t, "interpolation", source, str, "auto", w), INTERPOLATIONS, source,
                              "input.interpolation"),
    )


def _resize_short(t: dict, source: str, height: int, width: int) -> int:
    """S of short_side_crop (ImageNet evaluation: S = 256 for a 224 x 224 crop); at least the crop."""
    value = _get(t, "resize_short", source, int, 0, "input")
    if value and t.get("resize", "stretch") != "short_side_crop":
        raise _bad(source, "input.resize_short", value, "only with resize = \"short_side_crop\"")
    if value and not max(height, width) <= value <= 8192:
        raise _bad(source, "input.resize_short", value, f"an integer from {max(height, width)} (the crop) to 8192")
    return value


def _nonempty(value: str, source: str, name: str) -> str:
    if not value.strip():
        raise _bad(source, name, value, "a non-empty tensor name")
    return value


def _parse_output(t: Any, source: str) -> OutputSpec:
    if not isinstance(t, dict):
        raise _bad(source, "output", t, "a table of output fields")
    _check_unknown(t, {f.name for f in fields(OutputSpec)}, source, "output")
    w = "output"
    names = _get(t, "class_names", source, list, ["normal", "cleft"], w)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise _bad(source, "output.class_names", names, "a non-empty list of class names")
    positive = _get(t, "positive_classes", source, (list, int), [1] if len(names) > 1 else [0], w)
    if isinstance(positive, int) and not isinstance(positive, bool):
        positive = [positive]
    if not positive or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(names)
                               for i in positive):
        raise _bad(source, "output.positive_classes", positive,
                   f"a non-empty list of class indices from 0 to {len(names) - 1}")
    kind = _choice(_get(t, "kind", source, str, "logits", w), OUTPUT_KINDS, source, "output.kind")
    activation = _choice(_get(t, "activation", source, str, "softmax" if kind == "logits" else "none", w),
                         ACTIVATIONS, source, "output.activation")
    if kind == "probabilities" and activation != "none":
        raise _bad(source, "output.activation", activation, "'none' when output.kind is 'probabilities'")
    if kind == "logits" and activation == "none":
        raise _bad(source, "output.activation", activation, "'softmax' or 'sigmoid' when output.kind is 'logits'")
    threshold = _get(t, "threshold", source, float, 0.5, w)
    if not 0.0 <= threshold <= 1.0:
        raise _bad(source, "output.threshold", threshold, "a probability from 0 to 1")
    heatmap = _get(t, "heatmap", source, (str, type(None)), None, w)
    if heatmap == "":
        heatmap = None
    return OutputSpec(
        name=_nonempty(_get(t, "name", source, str, where=w), source, "output.name"),
        class_names=tuple(names),
        positive_classes=tuple(sorted(set(positive))),
        kind=kind,
        activation=activation,
        threshold=threshold,
        heatmap=heatmap,
    )


def _parse_spec(data: Any, source: str) -> ModelSpec:
    if not isinstance(data, dict):
        raise CleftEdgeError(f"{source}: the model spec is {type(data).__name__}",
                             "a table with 'input' and 'output' sections", "see docs/formats.md")
    _check_unknown(data, {f.name for f in fields(ModelSpec)}, source, "")
    schema = _get(data, "schema", source, int, SCHEMA_VERSION)
    if schema > SCHEMA_VERSION:
        raise CleftEdgeError(f"{source}: spec schema {schema} is newer than this cleftedge understands",
                             f"schema {SCHEMA_VERSION} or older", "upgrade cleftedge")
    return ModelSpec(
        input=_parse_input(_get(data, "input", source, dict), source),
        output=_parse_output(_get(data, "output", source, dict), source),
        model_name=_get(data, "model_name", source, str, "model"),
        model_version=str(_get(data, "model_version", source, (str, int, float), "0")),
        schema=schema,
        notes=_get(data, "notes", source, str, ""),
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

