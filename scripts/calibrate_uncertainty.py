"""`make calibrate_uncertainty`: how far to trust a front, measured on the held-out glacier.

Runs the plugin's pipeline (``segment``, ``extract``) with the validation twin (trained
without Jakobshavn) on every Jakobshavn scene of FrontLearning's train folder, upright
(FLOW=up, as `make evaluate`), for each number of views asked. Per front:

- its uncertainty's evidence (``detect.uncertainty.evidence``: spread of the members and
  views across the front, mean edge probability along it);
- its actual error: the mean distance (px) from the front's pixels to the manual front.

The constants (``uncertainty.Calibration``: a least-squares fit of log error, then the
scale that puts ``TARGET`` of the fronts within their uncertainty) are fitted by
leave-one-date-out cross-validation: each scene's fronts get the constants fitted on the
other scenes' fronts, so no front is scored with constants it helped fit; a second split
(fit on every other date, report on the rest, both ways) is printed too.

Printed: the table of uncertainty bins against the actual mean error, the Spearman rank
correlation of uncertainty and error, the share of fronts within their uncertainty, per
number of views; and the constants fitted on all fronts (the ones to ship,
``uncertainty.CALIBRATIONS``). Predictions are cached (``--cache``): reruns only re-score.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import distance_transform_edt
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import TRAIN, read_grey, to_vsimem  # noqa: E402

from calfin_qgis.core.detect.picking import extract  # noqa: E402
from calfin_qgis.core.detect.segmentation import DetectOptions, SegmentResult, segment  # noqa: E402
from calfin_qgis.core.detect.uncertainty import (  # noqa: E402
    CALIBRATIONS,
    TARGET,
    Calibration,
    evidence,
)
from calfin_qgis.core.evaluation.breakdown import GLACIER_PATH_ROWS  # noqa: E402
from calfin_qgis.core.evaluation.metrics import rasterize_lines  # noqa: E402
from calfin_qgis.core.geo import rasters  # noqa: E402
from calfin_qgis.core.network.model import load_model  # noqa: E402
from calfin_qgis.core.network.views import VIEWS  # noqa: E402
from calfin_qgis.core.products.naming import scene_id  # noqa: E402
from calfin_qgis.core.timing import StageTimer  # noqa: E402

TWIN = ROOT / "model" / "validation" / "calfin_unet_val_jakobshavn.onnx"
MIN_ERROR_PX = 0.25
"""Errors are fitted in logarithm: a front drawn exactly on the manual one counts as this."""
BINS_PX = (0.0, 2.0, 4.0, 8.0, 16.0, np.inf)


@dataclass(frozen=True)
class ScoredFront:
    scene: str
    spread_px: float
    confidence: float
    error_px: float


def jakobshavn_images(data: Path) -> list[Path]:
    rows = GLACIER_PATH_ROWS["jakobshavn"]
    return sorted(p for p in (data / "images").glob("*.png") if p.name.split("_")[2] in rows)


def predicted(model, image: np.ndarray, name: str, views: int, cache: Path) -> SegmentResult:
    """The segmentation of one image (probabilities and spread), cached."""
    options = DetectOptions(flow="up", views=views)
    scene = rasters.open_scene(to_vsimem(np.ascontiguousarray(image), name, 1.0))
    stored = cache / f"{name}_views{views}.npz"
    if stored.exists():
        saved = np.load(stored)
        window = scene.full_window
        return SegmentResult(scene, window, saved["probs"], None, 0.0, spread=saved["spread"])
    result = segment(model, scene, options)
    np.savez_compressed(stored, probs=result.probs, spread=result.spread)
    return result


def score_scene(model, path: Path, data: Path, views: int, cache: Path):
    """The fronts of one image with their evidence and error, or None without a label."""
    name = scene_id(path.name)
    reference = rasters.open_scene(data / "labels_1px" / f"{name}_Front.png").read()[0] < 128
    if not reference.any():
        return None
    image = read_grey(path)
    result = predicted(model, image, name, views, cache)
    fronts = extract(result, DetectOptions(flow="up", views=views), result.timer)
    to_label = distance_transform_edt(~reference)
    scored = []
    for front in fronts:
        drawn = rasterize_lines([front.line], image.shape, rasters.PIXEL_GEOTRANSFORM)
        seen = evidence(front.pixels, result.probs[0], result.spread)
        scored.append(
            ScoredFront(
                name,
                seen.spread_px,
                seen.confidence,
                float(to_label[drawn].mean()),
            )
        )
    return scored


def fitted(fronts: list[ScoredFront]) -> Calibration:
    """Least squares of log(error) on log(1 + spread) and 1 - confidence, then the scale
    raised so that ``TARGET`` of these fronts lie within their uncertainty."""
    spread = np.array([f.spread_px for f in fronts])
    weakness = 1.0 - np.array([f.confidence for f in fronts])
    x = np.column_stack([np.ones(len(fronts)), np.log1p(spread), weakness])
    y = np.log(np.maximum([f.error_px for f in fronts], MIN_ERROR_PX))
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    scale = np.exp(coef[0]) * np.quantile(np.exp(y - x @ coef), TARGET)
    return Calibration(float(scale), float(coef[1]), float(coef[2]))


def cross_validated(fronts: list[ScoredFront], held_out) -> np.ndarray:
    """Each front's uncertainty (px) with the constants fitted on the fronts of other
    scenes: ``held_out(scene)`` names the group of scenes left out together."""
    out = np.empty(len(fronts))
    for group in {held_out(f.scene) for f in fronts}:
        calibration = fitted([f for f in fronts if held_out(f.scene) != group])
        for i, front in enumerate(fronts):
            if held_out(front.scene) == group:
                out[i] = calibration.expected_px(front.spread_px, front.confidence)
    return out


def report(fronts: list[ScoredFront], scenes: list[str], views: int) -> np.ndarray:
    """Prints the figures; returns each front's leave-one-date-out uncertainty (px)."""
    error = np.array([f.error_px for f in fronts])
    loo = cross_validated(fronts, lambda scene: scene)
    order = {scene: i for i, scene in enumerate(sorted(scenes, key=date_of))}
    halves = cross_validated(fronts, lambda scene: order[scene] % 2)
    rho = spearmanr(loo, error).statistic
    found = len({f.scene for f in fronts})
    print(f"\n== VIEWS={views}: {len(fronts)} fronts in {found} of {len(scenes)} scenes ==")
    print("uncertainty (px, leave-one-date-out)  fronts  mean uncertainty  mean error  within")
    for low, high in zip(BINS_PX[:-1], BINS_PX[1:], strict=True):
        inside = (loo >= low) & (loo < high)
        if inside.any():
            within = np.mean(error[inside] <= loo[inside])
            label = f"{low:g}-{high:g}" if np.isfinite(high) else f">= {low:g}"
            print(f"  {label:36}{inside.sum():>6}{loo[inside].mean():>18.2f}"
                  f"{error[inside].mean():>12.2f}{within:>8.0%}")  # fmt: skip
    print(f"Spearman rank correlation, uncertainty vs error: {rho:.3f}")
    print(
        f"within their uncertainty, leave-one-date-out: {np.mean(error <= loo):.0%}; "
        f"fit on alternate dates, scored on the others: {np.mean(error <= halves):.0%}"
    )
    for part in ("spread_px", "confidence"):
        values = [getattr(f, part) for f in fronts]
        print(f"  Spearman of {part} alone vs error: {spearmanr(values, error).statistic:.3f}")
    print(f"fitted on all {len(fronts)} fronts (to ship): {fitted(fronts)}")
    return loo


def report_shipped(fronts: list[ScoredFront], views: int) -> None:
    """The shipped constants on these fronts, unchanged: a check, not a fit."""
    error = np.array([f.error_px for f in fronts])
    shipped = np.array([CALIBRATIONS[views].expected_px(f.spread_px, f.confidence) for f in fronts])
    print(
        f"shipped constants (VIEWS={views}), not refitted: Spearman "
        f"{spearmanr(shipped, error).statistic:.3f}, within their uncertainty "
        f"{np.mean(error <= shipped):.0%} of {len(fronts)} fronts; mean uncertainty "
        f"{shipped.mean():.2f} px, mean error {error.mean():.2f} px"
    )


def time_views(model, images: list[Path], views: list[int]) -> None:
    """Seconds per scene of segment + extract for each number of views, interleaved scene
    by scene so that the machine's load falls on all alike; nothing cached. Wall-clock
    seconds, and CPU seconds of all threads (less sensitive to other work on the machine)."""
    wall = {v: [] for v in views}
    cpu = {v: [] for v in views}
    for path in images:
        image = np.ascontiguousarray(read_grey(path))
        for v in views:
            scene = rasters.open_scene(to_vsimem(image, f"timed_{v}", 1.0))
            options = DetectOptions(flow="up", views=v)
            start, start_cpu = time.perf_counter(), time.process_time()
            extract(segment(model, scene, options), options, StageTimer())
            wall[v].append(time.perf_counter() - start)
            cpu[v].append(time.process_time() - start_cpu)
    for v in views:
        w, c = np.mean(wall[v]), np.mean(cpu[v])
        print(f"VIEWS={v}: {w:.2f} s wall, {c:.2f} s CPU per scene (segment + extract, "
              f"{len(images)} scenes; {w / np.mean(wall[views[0]]):.2f}x / "
              f"{c / np.mean(cpu[views[0]]):.2f}x VIEWS={views[0]})")  # fmt: skip


def date_of(scene: str) -> str:
    return scene.split("_")[3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=TRAIN)
    parser.add_argument("--model", type=Path, default=TWIN)
    parser.add_argument("--views", type=int, nargs="+", choices=VIEWS, default=[2])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/calfin_calibration"))
    parser.add_argument("--fronts-csv", type=Path, help="also write every front's figures")
    parser.add_argument("--time", action="store_true", help="also time each --views, uncached")
    parser.add_argument(
        "--exclude-dates", nargs="+", default=[], metavar="YYYYMMDD", help="scenes left out"
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="also score the shipped constants as they are (a model they were not fitted on)",
    )
    args = parser.parse_args()
    model, messages = load_model(args.model)
    print("\n".join(messages))
    images = [p for p in jakobshavn_images(args.data) if date_of(p.name) not in args.exclude_dates]
    digest = hashlib.sha1(args.model.read_bytes()).hexdigest()[:12]
    for views in args.views:
        cache = args.cache / f"{model.info.source.replace(' ', '_')}_{digest}"
        cache.mkdir(parents=True, exist_ok=True)
        fronts, scenes = [], []
        for path in images:
            scored = score_scene(model, path, args.data, views, cache)
            if scored is not None:
                scenes.append(scene_id(path.name))
                fronts += scored
        loo = report(fronts, scenes, views)
        if args.shipped:
            report_shipped(fronts, views)
        if args.fronts_csv:
            write_csv(args.fronts_csv.with_suffix(f".views{views}.csv"), fronts, loo)
    if args.time:
        time_views(model, images, args.views)
    return 0


def write_csv(path: Path, fronts: list[ScoredFront], loo: np.ndarray) -> None:
    import csv

    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*ScoredFront.__dataclass_fields__, "uncertainty_px_loo"])
        writer.writerows([[*vars(f).values(), u] for f, u in zip(fronts, loo, strict=True)])


if __name__ == "__main__":
    sys.exit(main())
