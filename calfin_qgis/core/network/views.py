"""Test-time views: each tile predicted as it is, mirrored, and turned; every member of the
ensemble on every view. Their mean is the probability; their disagreement, the spread.

1 view: as it is. 2 (the default): with the left-right mirrored pass, which keeps the ice
flowing the way the model was trained for (on the held-out glacier it cut the mean error by
about 13 %). 8: the four quarter turns, each with and without the mirror; measured on the
held-out glacier they buy no accuracy at four times the inference (issue 21), but their
disagreement is a measure of how far to trust a front (``detect.uncertainty``).
"""

from __future__ import annotations

import numpy as np

from ..contract import VIEWS
from ..detect.options import VIEWS_TEXT
from ..errors import InputError
from .model import Model


def check_views(views) -> int:
    """``views`` as one of ``VIEWS``, or an InputError naming the choices."""
    try:
        number = int(views)
    except (TypeError, ValueError):
        number = None
    if isinstance(views, bool) or number not in VIEWS or number != float(views):
        raise InputError(f"Views must be 1, 2 or 8, not {views!r}: {VIEWS_TEXT}.")
    return number


def transforms(views: int) -> list[tuple[int, bool]]:
    """(quarter turns counter-clockwise, mirrored left-right) of each view."""
    mirrors = (False,) if check_views(views) == 1 else (False, True)
    turns = range(4) if views == 8 else (0,)
    return [(turn, mirror) for turn in turns for mirror in mirrors]


def _apply(batch: np.ndarray, turn: int, mirror: bool) -> np.ndarray:
    batch = np.rot90(batch, turn, axes=(-2, -1))
    return batch[..., ::-1] if mirror else batch


def _undo(probs: np.ndarray, turn: int, mirror: bool) -> np.ndarray:
    probs = probs[..., ::-1] if mirror else probs
    return np.rot90(probs, -turn, axes=(-2, -1))


def predict_views(model: Model, batch: np.ndarray, views: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, C, T, T) square tiles → the mean probabilities (N, outputs, T, T) over every view
    and member, and their spread (N, T, T).

    The spread at a pixel is 2F(1 - F), F being the share of the predictions (members ×
    views) that call it ice: 0 where they all agree, 0.5 where they split evenly. Summed
    across a front it is the mean distance between two predictions' ice edges
    (``detect.uncertainty``). Without an ice channel it is 0.
    """
    shown = transforms(views)
    n = len(batch)
    stacked = np.concatenate([_apply(batch, turn, mirror) for turn, mirror in shown])
    members = model.run_members(np.ascontiguousarray(stacked, dtype=np.float32))
    predictions = np.concatenate(
        [_undo(members[:, i * n : (i + 1) * n], *view) for i, view in enumerate(shown)]
    )  # (members * views, N, outputs, T, T)
    probs = predictions.mean(axis=0)
    if predictions.shape[2] < 2:
        return probs, np.zeros((n, *batch.shape[2:]), np.float32)
    ice = (predictions[:, :, 1] > 0.5).mean(axis=0)
    return probs, (2.0 * ice * (1.0 - ice)).astype(np.float32)
