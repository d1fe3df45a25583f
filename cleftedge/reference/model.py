"""A small CNN ending in global average pooling and a linear head, so that a class-activation map
(CAM) for the positive class can be read off the last feature map."""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CleftNet(nn.Module):
    """1 x 128 x 160 -> logits (N, 2); features at stride 8 (16 x 20) for the heat map."""

    def __init__(self, width: int = 16, classes: int = 2):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            _block(1, w, 2), _block(w, w, 1),
            _block(w, 2 * w, 2), _block(2 * w, 2 * w, 1),
            _block(2 * w, 4 * w, 2), _block(4 * w, 4 * w, 1),
            _block(4 * w, 8 * w, 1), _block(8 * w, 8 * w, 1),
        )
        self.head = nn.Linear(8 * w, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, classes) of a grey frame batch (N, 1, 128, 160)."""
        return self.head(self.features(x).mean(dim=(2, 3)))


class WithHeatmap(nn.Module):
    """Export wrapper: logits and the positive class's CAM at feature-map resolution."""

    def __init__(self, net: CleftNet, positive: int = 1):
        super().__init__()
        self.net = net
        self.positive = positive

    def forward(self, x: torch.Tensor):
        """The logits (N, 2) and a class-activation map (N, h, w) of the cleft class, scaled to sum to the logit
        margin."""
        f = self.net.features(x)
        logits = self.net.head(f.mean(dim=(2, 3)))
        w = self.net.head.weight[self.positive] - self.net.head.weight[1 - self.positive]
        # divided by the cell count, the map sums to the logit margin (less the biases): values near 1,
        # not near 100, so float rounding stays far below the export's 1e-4 check on any CPU
        cam = torch.einsum("nchw,c->nhw", f, w) / (f.shape[2] * f.shape[3])
        return logits, cam


def parameter_count(model: nn.Module) -> int:
    """The number of the model's parameters."""
    return sum(p.numel() for p in model.parameters())
