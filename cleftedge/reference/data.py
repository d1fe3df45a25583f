"""Simulator frames through the runtime's own preprocessing, as tensors for training and checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleftedge.progress import Progress
from cleftedge.runtime.preprocess import Geometry, Preprocessor
from cleftedge.simulator.dataset import generate
from cleftedge.simulator.labels import is_positive
from cleftedge.spec import ModelSpec


@dataclass
class Tensors:
    x: np.ndarray  # float32 (N, 1, H, W)
    y: np.ndarray  # int64 (N,) 1 = cleft
    labels: list[str]
    severity: np.ndarray
    cases: list[str]
    lip_boxes: list  # in input-tensor pixels (x0, y0, x1, y1) or None


def simulated_tensors(spec: ModelSpec, count: int, seed: int, label: str = "frames",
                      difficulty: str = "standard") -> Tensors:
    """`count` simulator frames of a seed and difficulty through the runtime's preprocessing."""
    pre = Preprocessor(spec.input)
    xs, ys, labels, sev, cases, boxes = [], [], [], [], [], []
    with Progress(count, f"simulate {label}") as bar:
        for frame, case, _site in generate(count, seed, difficulty=difficulty):
            prepared = pre.prepare(frame.image)
            xs.append(prepared.tensor)
            ys.append(int(is_positive(frame.label)))
            labels.append(frame.label)
            sev.append(frame.severity)
            cases.append(case)
            boxes.append(_box_in_input(prepared.geometry, frame.lip_box))
            bar.update()
    return Tensors(np.stack(xs), np.array(ys, np.int64), labels, np.array(sev, np.float32), cases, boxes)


def _box_in_input(g: Geometry, box: tuple[float, float, float, float] | None
                  ) -> tuple[float, float, float, float] | None:
    if box is None:
        return None
    x0, y0 = g.frame_to_input(box[0], box[1])
    x1, y1 = g.frame_to_input(box[2], box[3])
    return (x0, y0, x1, y1)
