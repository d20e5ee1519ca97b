"""Training data: FrontLearning Landsat subsets, CALFIN-style targets and augmentation.

Each scene is a 200 x 300 single-band PNG rotated so that ice flows UP (ice below the
front line, ocean / melange above it). Targets per pixel:

* edge: the 3-px manual front line (``labels/*_Front.png``, black on white);
* mask: ice (1) / ocean (0), derived column by column from the front: in every column the
  front crosses, pixels below its lowest front pixel are ice, pixels above its highest
  front pixel are ocean; the front pixels themselves (and anything between the highest and
  lowest crossing) and the columns the front does not cross get weight 0.

Brightness / contrast / gamma / noise jitter and scale changes are applied to the grey
band BEFORE :func:`calfin_qgis.core.network.preprocess.model_input` (exactly what the plugin runs);
a fixed number of jittered variants per scene is precomputed once (``n_variants``), and
random 90-degree turns, horizontal flips and crops are drawn per sample.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import zoom

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calfin_qgis.core.evaluation.breakdown import glacier_of  # noqa: E402
from calfin_qgis.core.network.preprocess import model_input  # noqa: E402

DATA_DIR = ROOT.parent / "shared" / "data" / "frontlearning" / "train"


def load_grey(path: Path) -> np.ndarray:
    """Channel 0 of the (grey RGBA) scene as uint8."""
    arr = np.asarray(Image.open(path))
    return (arr[..., 0] if arr.ndim == 3 else arr).astype(np.uint8)


def load_front(path: Path) -> np.ndarray:
    """Boolean front line (label drawn black on white)."""
    arr = np.asarray(Image.open(path))
    if arr.ndim == 3:
        arr = arr[..., 0]
    return arr < 128


def mask_from_front(front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ice mask (1 below the front, 0 above) and its weight (0 where undefined)."""
    h, w = front.shape
    mask = np.zeros((h, w), np.float32)
    weight = np.zeros((h, w), np.float32)
    rows = np.arange(h)[:, None]
    crossed = front.any(axis=0)
    if not crossed.any():
        return mask, weight
    top = np.where(crossed, np.argmax(front, axis=0), 0)
    bottom = np.where(crossed, h - 1 - np.argmax(front[::-1], axis=0), 0)
    below = (rows > bottom[None, :]) & crossed[None, :]
    above = (rows < top[None, :]) & crossed[None, :]
    mask[below] = 1.0
    weight[below | above] = 1.0
    return mask, weight


@dataclass
class Scene:
    name: str
    glacier: str
    grey: np.ndarray  # uint8 (H, W)
    front3: np.ndarray  # bool, 3-px line
    front1: np.ndarray  # bool, 1-px line


def list_scenes(glaciers: tuple[str, ...] | list[str], data_dir: Path = DATA_DIR) -> list[Scene]:
    scenes = []
    for img in sorted((data_dir / "images").glob("*.png")):
        g = glacier_of(img.name)
        if g not in glaciers:
            continue
        lname = img.name.replace("_Subset", "_Front")
        scenes.append(
            Scene(
                img.name,
                g,
                load_grey(img),
                load_front(data_dir / "labels" / lname),
                load_front(data_dir / "labels_1px" / lname),
            )
        )
    return scenes


def jitter_grey(grey: np.ndarray, front: np.ndarray, rng: np.random.Generator):
    """Photometric jitter and a small scale change of one scene (grey band + front line)."""
    g = grey.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        s = rng.uniform(0.8, 1.25)
        g = zoom(g, s, order=1)
        front = zoom(front.astype(np.float32), s, order=1) > 0.35
    gamma = np.exp(rng.uniform(np.log(0.6), np.log(1.6)))
    g = np.clip(g, 0, 1) ** gamma
    contrast = rng.uniform(0.7, 1.3)
    bright = rng.uniform(-0.08, 0.08)
    g = (g - 0.5) * contrast + 0.5 + bright
    if rng.random() < 0.5:
        g = g + rng.normal(0, rng.uniform(0.005, 0.03), g.shape)
    g = np.clip(np.round(g * 255), 0, 255).astype(np.uint8)
    return g, front


class TrainSet:
    """Precomputed (input, edge, mask, weight) variants, sampled with turns/flips/crops."""

    def __init__(
        self,
        scenes: list[Scene],
        n_variants: int = 6,
        crop: int = 192,
        p_upright: float = 0.5,
        seed: int = 0,
    ):
        self.rng = np.random.default_rng(seed)
        self.crop = crop
        self.p_upright = p_upright
        self.items = []
        for sc in scenes:
            for v in range(n_variants):
                if v == 0:
                    grey, front = sc.grey, sc.front3
                else:
                    grey, front = jitter_grey(sc.grey, sc.front3, self.rng)
                x = model_input(grey)
                mask, weight = mask_from_front(front)
                y = np.stack([front, mask, weight, np.ones_like(mask)]).astype(np.uint8)
                self.items.append((x.astype(np.float32), y))  # targets are 0/1: uint8 saves RAM

    def sample(self):
        x, y = self.items[self.rng.integers(len(self.items))]
        if self.rng.random() < 0.5:  # horizontal flip keeps ice flowing up
            x, y = x[:, :, ::-1], y[:, :, ::-1]
        k = 0 if self.rng.random() < self.p_upright else int(self.rng.integers(1, 4))
        if k:
            x, y = np.rot90(x, k, axes=(1, 2)), np.rot90(y, k, axes=(1, 2))
        c = self.crop
        _, h, w = x.shape
        ph, pw = max(0, c - h), max(0, c - w)
        if ph or pw:  # pad (weight 0 / valid 0 in the pad)
            x = np.pad(x, ((0, 0), (0, ph), (0, pw)))
            y = np.pad(y, ((0, 0), (0, ph), (0, pw)))
            h, w = h + ph, w + pw
        r0 = int(self.rng.integers(0, h - c + 1))
        c0 = int(self.rng.integers(0, w - c + 1))
        return (
            np.ascontiguousarray(x[:, r0 : r0 + c, c0 : c0 + c]),
            np.ascontiguousarray(y[:, r0 : r0 + c, c0 : c0 + c]),
        )

    def batch(self, n: int):
        xs, ys = zip(*(self.sample() for _ in range(n)), strict=True)
        return np.stack(xs), np.stack(ys).astype(np.float32)


class ValSet:
    """Whole upright validation scenes with their 1-px front lines."""

    def __init__(self, scenes: list[Scene]):
        self.items = [
            (sc.name, model_input(sc.grey).astype(np.float32), sc.front1) for sc in scenes
        ]
