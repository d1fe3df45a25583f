"""Hand-written ImageNet-style classifiers (ResNet-18, MobileNetV3-small) in plain torch, so that
`export --checkpoint --arch` and the bring-your-own path are proven on architectures other than
the reference one without torchvision."""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Two 3x3 convolutions with a residual connection (the shortcut downsampled when the block strides or
        changes width)."""
        y = self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))
        return (y + (x if self.down is None else self.down(x))).relu()


class ResNet18(nn.Module):
    def __init__(self, in_channels: int = 3, classes: int = 2, width: int = 64):
        super().__init__()
        w = width
        self.stem = nn.Sequential(nn.Conv2d(in_channels, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], w
        for i, cout in enumerate((w, 2 * w, 4 * w, 8 * w)):
            layers += [BasicBlock(cin, cout, 1 if i == 0 else 2), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, classes) of an image batch (N, 3, H, W)."""
        return self.fc(self.layers(self.stem(x)).mean(dim=(2, 3)))


def _divisible(v: float, by: int = 8) -> int:
    """torchvision's _make_divisible: the nearest multiple of `by`, never 10 % below `v`."""
    n = max(by, int(v + by / 2) // by * by)
    return n + by if n < 0.9 * v else n


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=0.001, momentum=0.01)  # torchvision's MobileNetV3 norm layer


class SqueezeExcite(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.fc1 = nn.Conv2d(c, _divisible(c // 4), 1)
        self.fc2 = nn.Conv2d(_divisible(c // 4), c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x` scaled per channel by its squeeze-and-excite gate."""
        s = nn.functional.hardsigmoid(self.fc2(self.fc1(x.mean(dim=(2, 3), keepdim=True)).relu()))
        return x * s


class InvertedResidual(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride):
        super().__init__()
        a = nn.Hardswish if act == "HS" else nn.ReLU
        layers = []
        if exp != cin:
            layers += [nn.Conv2d(cin, exp, 1, bias=False), _bn(exp), a()]
        layers += [nn.Conv2d(exp, exp, k, stride, k // 2, groups=exp, bias=False), _bn(exp), a()]
        if se:
            layers.append(SqueezeExcite(exp))
        layers += [nn.Conv2d(exp, cout, 1, bias=False), _bn(cout)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output, plus `x` when the block keeps the shape."""
        y = self.block(x)
        return x + y if self.residual else y


# (kernel, expansion, out, squeeze-excite, activation, stride): MobileNetV3-small's table
_SMALL = [(3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
          (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
          (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
          (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1)]


class MobileNetV3Small(nn.Module):
    def __init__(self, in_channels: int = 3, classes: int = 2, width: float = 1.0):
        super().__init__()

        def c(n):
            return max(8, int(n * width))

        layers = [nn.Conv2d(in_channels, c(16), 3, 2, 1, bias=False), _bn(c(16)), nn.Hardswish()]
        cin = c(16)
        for k, exp, out, se, act, s in _SMALL:
            layers.append(InvertedResidual(cin, k, c(exp), c(out), se, act, s))
            cin = c(out)
        layers += [nn.Conv2d(cin, c(576), 1, bias=False), _bn(c(576)), nn.Hardswish()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(c(576), c(1024)), nn.Hardswish(), nn.Linear(c(1024), classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, classes) of an image batch (N, 3, H, W)."""
        return self.classifier(self.features(x).mean(dim=(2, 3)))
