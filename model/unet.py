"""A small plain U-Net (16 base channels, 4 poolings, BatchNorm, ReLU), CALFIN-style outputs.

Input  ``(N, 3, H, W)`` float32 from :func:`calfin_qgis.core.network.preprocess.model_input`,
H and W multiples of 16. Output: logits ``(N, 2, H, W)`` (channel 0 front edge,
channel 1 ice mask); :class:`ProbsWrapper` adds the sigmoid (and averages an ensemble) for export.
"""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, in_channels: int = 3, out_channels: int = 2, base: int = 16, depth: int = 4):
        super().__init__()
        chans = [base * 2**i for i in range(depth + 1)]  # 16, 32, 64, 128, 256
        self.downs = nn.ModuleList()
        cin = in_channels
        for c in chans[:-1]:
            self.downs.append(_block(cin, c))
            cin = c
        self.pool = nn.MaxPool2d(2)
        self.bottom = _block(chans[-2], chans[-1])
        self.ups = nn.ModuleList()
        self.dec = nn.ModuleList()
        for c in reversed(chans[:-1]):
            self.ups.append(nn.ConvTranspose2d(c * 2, c, 2, stride=2))
            self.dec.append(_block(c * 2, c))
        self.head = nn.Conv2d(chans[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, dec, skip in zip(self.ups, self.dec, reversed(skips), strict=True):
            x = dec(torch.cat([up(x), skip], dim=1))
        return self.head(x)


class ProbsWrapper(nn.Module):
    """Sigmoid probabilities, as shipped in the ONNX graph (output ``probs``).

    With several networks (an ensemble of runs with different seeds) their probabilities
    are averaged: on the validation glacier two runs together beat either one alone.
    """

    def __init__(self, *nets: nn.Module):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([torch.sigmoid(net(x)) for net in self.nets]).mean(dim=0)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    m = UNet()
    print(count_parameters(m))
    print(m(torch.zeros(1, 3, 64, 96)).shape)
