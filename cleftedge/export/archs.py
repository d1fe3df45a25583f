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


def _resnet18(classes: int = 2):
    from cleftedge.export.zoo import ResNet18

    return ResNet18(in_channels=3, classes=classes)


def _mobilenet_v3_small(classes: int = 2):
    from cleftedge.export.zoo import MobileNetV3Small

    return MobileNetV3Small(in_channels=3, classes=classes)


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


def build(name: str, kwargs: dict | None = None):
    """A known architecture by name, or the user's own nn.Module as `package.module:Class`
    (imported from the user's environment, constructed with `kwargs`)."""
    if ":" in name:
        return _user_module(name, kwargs or {})
    if name not in ARCHS:
        raise CleftEdgeError(f"unknown --arch '{name}'", "one of " + ", ".join(sorted(ARCHS)) +
                             ", or package.module:Class", "pick a known architecture, name your own nn.Module as "
                             "package.module:Class, or export your model to ONNX and use --onnx")
    if kwargs:
        raise CleftEdgeError(f"--arch-kwargs with --arch {name}", "--arch-kwargs only with --arch package.module:Class",
                             "drop --arch-kwargs")
    return ARCHS[name]()


def _user_module(name: str, kwargs: dict):
    import importlib

    torch = require("torch", "build")
    module_name, _, cls_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the user's module raises at import
        raise CleftEdgeError(f"--arch {name}: cannot import {module_name} ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})", "an importable module",
                             "install your package in this environment or add its folder to PYTHONPATH") from None
    cls = getattr(module, cls_name, None)
    if cls is None or not callable(cls):
        raise CleftEdgeError(f"--arch {name}: {module_name} has no class {cls_name}", "package.module:Class naming "
                             "an nn.Module subclass", "check the class name")
    try:
        net = cls(**kwargs)
    except TypeError as exc:
        raise CleftEdgeError(f"--arch {name}: {cls_name}(**{json.dumps(kwargs)}) failed ({exc})",
                             "--arch-kwargs matching the constructor", "fix --arch-kwargs (a JSON object)") from None
    if not isinstance(net, torch.nn.Module):
        raise CleftEdgeError(f"--arch {name} built a {type(net).__name__}", "a torch.nn.Module",
                             "name the nn.Module class of your model")
    return net


def parse_arch_kwargs(text: str | None) -> dict:
    """The keyword arguments of --arch-kwargs (a JSON object; {} when not given). Other JSON raises CleftEdgeError."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CleftEdgeError(f"--arch-kwargs is not JSON ({exc.msg})", "a JSON object, e.g. '{\"classes\": 2}'",
                             "quote it for the shell") from None
    if not isinstance(value, dict):
        raise CleftEdgeError(f"--arch-kwargs is a JSON {type(value).__name__}", "a JSON object of keyword arguments",
                             "e.g. --arch-kwargs '{\"classes\": 2}'")
    return value


def _fit_problem(module, state: dict) -> str | None:
    """The first missing and unexpected keys (and the first shape that differs), or None."""
    want = module.state_dict()
    missing = [k for k in want if k not in state]
    unexpected = [k for k in state if k not in want]
    shapes = [k for k in want if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) !=
              tuple(want[k].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing, first {', '.join(missing[:3])}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected, first {', '.join(unexpected[:3])}")
    if shapes:
        k = shapes[0]
        parts.append(f"{len(shapes)} of another shape, first {k} {tuple(state[k].shape)} vs {tuple(want[k].shape)}")
    return "; ".join(parts) or None


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
    from cleftedge.export import torchvision_layout as tv

    if isinstance(state, dict) and tv.is_torchvision(arch, state):  # saved from torchvision's own model
        module = ARCHS[arch](tv.classes_of(arch, state))
        state = tv.rename(arch, state, module.state_dict())
    if not isinstance(state, dict):
        raise CleftEdgeError(f"{p} holds a {type(state).__name__}, not a state_dict",
                             "a state_dict saved with torch.save(model.state_dict(), path)",
                             "save the state_dict, not the whole model object")
    problem = _fit_problem(module, state)
    if problem:
        raise CleftEdgeError(f"checkpoint {p.name} does not fit --arch {arch} (keys: {problem})",
                             f"the weights of a '{arch}' model", "pass the --arch (and --arch-kwargs) the checkpoint "
                             "was trained with")
    try:
        module.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0][:160]
        raise CleftEdgeError(f"checkpoint {p.name} does not fit --arch {arch} ({first})",
                             f"the weights of a '{arch}' model",
                             "pass the --arch the checkpoint was trained with") from None
    return module.eval()


def reference_module(heatmap: bool = True, difficulty: str = "standard"):
    """A shipped reference model (standard or clinical difficulty) in its export wrapper, and the spec
    with its validated threshold."""
    from cleftedge.reference.model import CleftNet, WithHeatmap
    from cleftedge.reference.spec import SHIPPED, reference_spec

    weights_name, metrics_name, model_name = SHIPPED[difficulty]
    if not (REFERENCE_DIR / metrics_name).is_file() or not (REFERENCE_DIR / weights_name).is_file():
        raise CleftEdgeError(f"the {difficulty} reference model is not in {REFERENCE_DIR}",
                             f"{weights_name} and {metrics_name} there",
                             f"train it: python -m cleftedge.reference.train --difficulty {difficulty}")
    metrics = json.loads((REFERENCE_DIR / metrics_name).read_text())
    net = load_checkpoint(CleftNet(width=int(metrics.get("width", 16))), REFERENCE_DIR / weights_name, "reference")
    spec = reference_spec(threshold=float(metrics["threshold"]), heatmap=heatmap, model_name=model_name)
    return (WithHeatmap(net) if heatmap else net), spec
