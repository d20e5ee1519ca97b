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

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calfin_qgis.core.evaluation.breakdown import glacier_of  # noqa: E402
from calfin_qgis.core.finetune.pairs import jitter_grey, sample, targets  # noqa: E402
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
                self.items.append((x.astype(np.float32), targets(front)))  # uint8 saves RAM

    def sample(self):
        item = self.items[self.rng.integers(len(self.items))]
        return sample(item, self.rng, self.crop, self.p_upright)

    def batch(self, n: int):
        xs, ys = zip(*(self.sample() for _ in range(n)), strict=True)
        return np.stack(xs), np.stack(ys).astype(np.float32)


class ValSet:
    """Whole upright validation scenes with their 1-px front lines."""

    def __init__(self, scenes: list[Scene]):
        self.items = [
            (sc.name, model_input(sc.grey).astype(np.float32), sc.front1) for sc in scenes
        ]
