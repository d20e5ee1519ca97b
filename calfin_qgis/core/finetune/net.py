"""The network in PyTorch: the plain U-Net that ``model/`` trains and exports, CALFIN's loss,
and the sigmoid wrapper that averages an ensemble (output ``probs``).

Imported only when training (``model/``) or fine-tuning: the plugin runs the exported ONNX
file with onnxruntime and never needs PyTorch otherwise.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

EDGE_WEIGHT = 25.0


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
    """4 x (2 x [3x3 conv, BatchNorm, ReLU] + 2x2 max-pool), bottleneck, 4 x (2x2 transposed
    conv, skip, 2 x [conv, BN, ReLU]), 1x1 head; channels 16-32-64-128-256; logits
    ``(N, 2, H, W)``: channel 0 front edge, channel 1 ice mask."""

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


def fused_unet() -> UNet:
    """A U-Net shaped like an exported one: every Conv has a bias and every BatchNorm is an
    identity (the exporter folded each BatchNorm into the Conv before it)."""
    net = UNet()
    for block in [*net.downs, net.bottom, *net.dec]:
        for i in (0, 3):
            conv = block[i]
            block[i] = nn.Conv2d(conv.in_channels, conv.out_channels, 3, padding=1, bias=True)
            block[i + 1] = nn.Identity()
    return net


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


def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CALFIN loss: (25 BCE_edge + BCE_mask)/26 - (25 log softIoU_edge + log softIoU_mask)/26.

    ``y`` holds (edge, mask, mask weight, valid) per pixel (``finetune.pairs.targets``)."""
    edge_t, mask_t, mask_w, valid = y[:, 0], y[:, 1], y[:, 2], y[:, 3]
    le, lm = logits[:, 0], logits[:, 1]
    pe, pm = torch.sigmoid(le), torch.sigmoid(lm)
    eps = 1e-6
    bce_e = (
        functional.binary_cross_entropy_with_logits(le, edge_t, reduction="none") * valid
    ).sum() / (valid.sum() + eps)
    bce_m = (
        functional.binary_cross_entropy_with_logits(lm, mask_t, reduction="none") * mask_w
    ).sum() / (mask_w.sum() + eps)
    inter_e = (pe * edge_t * valid).sum()
    iou_e = (inter_e + 1.0) / ((pe * valid).sum() + (edge_t * valid).sum() - inter_e + 1.0)
    inter_m = (pm * mask_t * mask_w).sum()
    iou_m = (inter_m + 1.0) / ((pm * mask_w).sum() + (mask_t * mask_w).sum() - inter_m + 1.0)
    cross_entropy = (EDGE_WEIGHT * bce_e + bce_m) / (EDGE_WEIGHT + 1)
    log_iou = (EDGE_WEIGHT * torch.log(iou_e) + torch.log(iou_m)) / (EDGE_WEIGHT + 1)
    return cross_entropy - log_iou
