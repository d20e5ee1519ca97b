"""The replay set: original training scenes mixed into every fine-tuning batch.

Without them, fine-tuning on one glacier made the others worse (issue 22's first try:
Kangerlussuaq/Sverdrup 0.66 -> 6.49 px; with replay 0.63-0.70). The plugin ships a small
set (``model/replay/``, made by ``scripts/make_replay.py``): 16 scenes of each of the
three FrontLearning glaciers, 8-bit band and 3-px front, upright, as training read them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

REPLAY_FILE = "frontlearning_replay.npz"


@dataclass(frozen=True)
class ReplayScene:
    name: str
    glacier: str
    grey: np.ndarray
    front3: np.ndarray


def default_replay_path() -> Path:
    """The shipped replay set: the plugin's model/replay/ folder, or the checkout's."""
    package = Path(__file__).resolve().parents[2]  # calfin_qgis/
    for folder in (package / "model", package.parent / "model"):
        if (folder / "replay" / REPLAY_FILE).exists():
            return folder / "replay" / REPLAY_FILE
    return package / "model" / "replay" / REPLAY_FILE


def load_replay(
    path: str | os.PathLike | None = None, exclude: tuple[str, ...] = ()
) -> list[ReplayScene]:
    """The replay scenes, without the glaciers in ``exclude``."""
    path = Path(path) if path else default_replay_path()
    if not path.exists():
        raise InputError(
            f"The replay set {path} is missing, so fine-tuning would make other glaciers "
            "worse. Reinstall the plugin to restore it."
        )
    data = np.load(path)
    fronts = np.unpackbits(data["front3"], axis=-1, count=int(data["width"])).astype(bool)
    return [
        ReplayScene(str(name), str(glacier), grey, front)
        for name, glacier, grey, front in zip(
            data["names"], data["glaciers"], data["grey"], fronts, strict=True
        )
        if str(glacier) not in exclude
    ]
