"""Checkpoints saved from torchvision's own resnet18 and mobilenet_v3_small (their state_dict key
layout) load into the plain-torch architectures of `export/zoo.py`, which compute the same function:
the keys are renamed, the class count is taken from the classifier's weight."""

from __future__ import annotations

import re

RESNET_RULES = ((re.compile(r"^conv1\."), "stem.0."), (re.compile(r"^bn1\."), "stem.1."),
                (re.compile(r"\.downsample\."), ".down."))


def _natural(key: str) -> list:
    return [int(p) if p.isdigit() else p for p in key.split(".")]


def is_torchvision(arch: str, state: dict) -> bool:
    """Whether the checkpoint `state` has torchvision's key layout for `arch` (resnet18 or mobilenet_v3_small)."""
    if arch == "resnet18":
        return "conv1.weight" in state and "layer1.0.conv1.weight" in state
    if arch == "mobilenet_v3_small":
        return "features.0.0.weight" in state and "features.1.block.0.0.weight" in state
    return False


def classes_of(arch: str, state: dict) -> int:
    """The number of classes of a torchvision-layout checkpoint, from its last layer's weight."""
    return int(state["fc.weight" if arch == "resnet18" else "classifier.3.weight"].shape[0])


def rename(arch: str, state: dict, ours: dict) -> dict:
    """torchvision's keys -> the zoo module's keys (`ours`: its state_dict). ResNet-18 by rule
    (layerL.B -> layers.2(L-1)+B); MobileNetV3-small by structure: both layouts list the same
    tensors in the same natural order (the zoo flattens torchvision's nested Conv-BN-activation
    blocks), so they pair up in that order, every pair checked for its shape."""
    if arch == "resnet18":
        out = {}
        for k, v in state.items():
            for pattern, to in RESNET_RULES:
                k = pattern.sub(to, k)
            m = re.match(r"^layer(\d)\.(\d)\.(.*)$", k)
            out[f"layers.{2 * (int(m[1]) - 1) + int(m[2])}.{m[3]}" if m else k] = v
        return out
    theirs, mine = sorted(state, key=_natural), sorted(ours, key=_natural)
    if len(theirs) != len(mine) or any(tuple(state[a].shape) != tuple(ours[b].shape)
                                       for a, b in zip(theirs, mine, strict=True)):
        return state  # not the layout it looked like: the caller reports the keys that do not fit
    return {b: state[a] for a, b in zip(theirs, mine, strict=True)}
