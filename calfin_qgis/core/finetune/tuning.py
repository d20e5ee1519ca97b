"""The fine-tuning loop of one member: issue 22's recipe, time-budgeted.

Recipe (the first try's, kept): all weights trained (BatchNorm is already folded into the
Convs, so it stays frozen), AdamW with each tensor's learning rate ``LR`` x that tensor's own
RMS (a step moves every tensor by about the same fraction of its size), cosine decay over the
budget, batches of ``BATCH`` 192 px crops, half of them from the replay set when there is one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .net import UNet, loss_fn
from .pairs import sample

LR = 3e-3
BATCH = 8
CROP = 192
REPLAY_SHARE = 0.5
"""Share of each batch replayed from the other glaciers (when there is a replay set)."""
WARMUP_STEPS = 5
MIN_RMS = 1e-3
"""Tensors that start near zero (biases) move at LR x this."""


@dataclass
class MemberResult:
    steps: int
    seconds: float
    loss: float


def optimizer(net: UNet) -> torch.optim.AdamW:
    groups = []
    for p in net.parameters():
        rms = float(p.detach().pow(2).mean().sqrt())
        groups.append(
            {"params": [p], "lr": LR * max(rms, MIN_RMS), "base_lr": LR * max(rms, MIN_RMS)}
        )
    return torch.optim.AdamW(groups, weight_decay=1e-4)


def batch(own: list, replay: list, rng: np.random.Generator):
    """``BATCH`` crops: ``REPLAY_SHARE`` of them replayed, the rest from the user's pairs
    (all own without replay)."""
    n_replay = min(BATCH - 1, round(BATCH * REPLAY_SHARE)) if replay else 0
    items = [own[rng.integers(len(own))] for _ in range(BATCH - n_replay)]
    items += [replay[rng.integers(len(replay))] for _ in range(n_replay)]
    xs, ys = zip(*(sample(item, rng, CROP) for item in items), strict=True)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys).astype(np.float32))


def tune(
    net: UNet,
    own: list,
    replay: list,
    seconds: float,
    seed: int,
    progress: Callable[[float], None] = lambda f: None,
    cancelled: Callable[[], bool] = lambda: False,
    max_steps: int | None = None,
) -> MemberResult:
    """Train ``net`` in place for ``seconds`` (or ``max_steps``) on (input, targets) items;
    at least one step, however short the budget."""
    from ..errors import Cancelled

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    opt = optimizer(net)
    net.train()
    start = time.perf_counter()
    step, running = 0, float("nan")
    while True:
        frac = (time.perf_counter() - start) / seconds
        if step and (frac >= 1.0 or (max_steps is not None and step >= max_steps)):
            break
        if cancelled():
            raise Cancelled("cancelled by the user")
        scale = min(1.0, (step + 1) / WARMUP_STEPS) * 0.5 * (1 + math.cos(math.pi * frac))
        for group in opt.param_groups:
            group["lr"] = group["base_lr"] * scale
        x, y = batch(own, replay, rng)
        loss = loss_fn(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = float(loss.detach())
        running = value if math.isnan(running) else 0.9 * running + 0.1 * value
        step += 1
        progress(min(1.0, frac))
    net.eval()
    return MemberResult(step, time.perf_counter() - start, running)
