"""Architectures `export --checkpoint --arch NAME` knows: one line per architecture."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"


def _reference():
    from cleftedge.reference.model import CleftNet

    return CleftNet()


def _resnet18():
    from cleftedge.export.zoo import ResNet18

    return ResNet18(in_channels=3, classes=2)


def _mobilenet_v3_small():
    from cleftedge.export.zoo import MobileNetV3Small

    return MobileNetV3Small(in_channels=3, classes=2)


ARCHS: dict[str, Callable] = {
    "reference": _reference,
    "resnet18": _resnet18,
    "mobilenet_v3_small": _mobilenet_v3_small,
}


def default_spec(name: str):
    """The spec used when --checkpoint comes without --spec: the reference spec (logits only) for
    `reference`, an ImageNet-style 3 x 224 x 224 RGB input with 2 logits for the others."""
    from cleftedge.reference.spec import reference_spec
    from cleftedge.spec import InputSpec, ModelSpec, OutputSpec

    if name == "reference":
        return reference_spec(heatmap=False)
    return ModelSpec(input=InputSpec(name="image", height=224, width=224, channels=3, color="RGB",
                                     mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
                     output=OutputSpec(name="logits"), model_name=name)


def build(name: str):
    if name not in ARCHS:
        raise CleftEdgeError(f"unknown --arch '{name}'", "one of " + ", ".join(sorted(ARCHS)),
                             "pick a known architecture or export your model to ONNX and use --onnx")
    return ARCHS[name]()


def load_checkpoint(module, path: str | os.PathLike, arch: str):
    """Load a state_dict with weights_only=True (never unpickle arbitrary objects)."""
    torch = require("torch", "build")
    p = Path(path)
    if not p.is_file():
        raise CleftEdgeError(f"checkpoint {p} does not exist", "a .pt file with a state_dict", "check --checkpoint")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CleftEdgeError(f"{p} is not a loadable weights-only checkpoint ({type(exc).__name__})",
                             "a state_dict saved with torch.save(model.state_dict(), path)",
                             "save the state_dict, not the whole model object") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    try:
        module.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0][:160]
        raise CleftEdgeError(f"checkpoint {p.name} does not fit --arch {arch} ({first})",
                             f"the weights of a '{arch}' model",
                             "pass the --arch the checkpoint was trained with") from None
    return module.eval()


def reference_module(heatmap: bool = True):
    """The shipped reference weights in their export wrapper, and the spec with their threshold."""
    from cleftedge.reference.model import WithHeatmap
    from cleftedge.reference.spec import reference_spec

    weights = REFERENCE_DIR / "reference.pt"
    net = load_checkpoint(_reference(), weights, "reference")
    metrics = json.loads((REFERENCE_DIR / "metrics.json").read_text())
    spec = reference_spec(threshold=float(metrics["threshold"]), heatmap=heatmap)
    return (WithHeatmap(net) if heatmap else net), spec
