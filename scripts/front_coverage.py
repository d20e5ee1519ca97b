"""Where a front's error comes from: the drawn line off the manual one, or parts of the
manual line that nothing was drawn on. Reads the prediction PNGs a scoring run wrote
(``scripts/evaluate.py`` / ``finetune_benchmark.py``: ``<image id>_Front.png``, white line)
and FrontLearning's 1-px labels, and prints per scene and pooled over the scenes with a
front: drawn → manual mean distance (px), manual → drawn mean, the mean both ways (the
figure ``make evaluate`` and the benchmarks report) and the share of the manual line more
than ``--far`` px from anything drawn.

    python scripts/front_coverage.py PREDICTIONS [--data TRAIN] [--match REGEX] [--skip ID ...]
        [--model M.onnx]

With ``--model``, also the model's mean edge probability (upright, FLOW=up) on the manual
pixels more than ``--far`` px from the drawn front and on the drawn front: whether the
network saw an edge where nothing was drawn (then the line extraction dropped it) or not.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from scipy.ndimage import distance_transform_edt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import TRAIN, read_grey  # noqa: E402


def one_way(drawn: np.ndarray, manual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(drawn → nearest manual, manual → nearest drawn) pixel distances."""
    return distance_transform_edt(~manual)[drawn], distance_transform_edt(~drawn)[manual]


def edge_probability(model, image: np.ndarray, name: str) -> np.ndarray:
    """The model's edge probability of one upright image, through the plugin's pipeline."""
    from evaluate import to_vsimem

    from calfin_qgis.core.detect.segmentation import DetectOptions, segment
    from calfin_qgis.core.geo import rasters

    scene = rasters.open_scene(to_vsimem(np.ascontiguousarray(image), name, 1.0))
    return np.nan_to_num(segment(model, scene, DetectOptions(flow="up")).probs[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--data", type=Path, default=TRAIN)
    parser.add_argument("--match", default="", help="regex on the image id")
    parser.add_argument("--skip", nargs="*", default=[], help="dates YYYYMMDD left out")
    parser.add_argument("--far", type=float, default=5.0)
    parser.add_argument("--model", type=Path, help="also the edge probability of this model")
    args = parser.parse_args()
    model = None
    if args.model:
        from calfin_qgis.core.network.model import load_model

        model, _ = load_model(args.model, "cpu")
    to_manual, to_drawn, missing = [], [], []
    for png in sorted(args.predictions.glob("*_Front.png")):
        name = png.name.removesuffix("_Front.png")
        if not re.search(args.match, name) or name.split("_")[3] in args.skip:
            continue
        drawn = read_grey(png) > 127
        manual = read_grey(args.data / "labels_1px" / png.name) < 128
        if not drawn.any():
            missing.append(name)
            print(f"{name}  no front")
            continue
        a, b = one_way(drawn, manual)
        to_manual.append(a)
        to_drawn.append(b)
        edge = ""
        if model is not None:
            probability = edge_probability(
                model, read_grey(args.data / "images" / f"{name}_Subset.png"), name
            )
            undrawn = manual & (distance_transform_edt(~drawn) > args.far)
            if undrawn.any():
                edge = f"  edge p undrawn {probability[undrawn].mean():.2f}"
            edge += f" drawn {probability[drawn].mean():.2f}"
        print(
            f"{name}  drawn→manual {a.mean():5.2f}  manual→drawn {b.mean():6.2f}  "
            f"both {np.concatenate([a, b]).mean():6.2f} px  manual > {args.far:g} px from "
            f"drawn {100 * (b > args.far).mean():3.0f} %{edge}"
        )
    a, b = np.concatenate(to_manual), np.concatenate(to_drawn)
    print(
        f"pooled over {len(to_manual)} scenes with a front ({len(missing)} without): "
        f"drawn→manual {a.mean():.2f} px, manual→drawn {b.mean():.2f} px, both ways "
        f"{np.concatenate([a, b]).mean():.2f} px; manual line > {args.far:g} px from the "
        f"drawn one: {100 * (b > args.far).mean():.0f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
