"""`make evaluate DATA=<dir> OUT=<dir> [FLOW=up] [TURN=k] [MATCH=regex]`.

Runs the plugin's own pipeline on every raw image of a FrontLearning-style folder
(`images/*.png`, `labels_1px/*_Front.png`, matched by the name before `_Subset`/`_Front`),
writes one predicted 1-px front PNG per image (255 on 0, on the image's grid) named like
its label, and `metrics.csv` with one row per image and the pooled figures (distances
pooled over the images with a front, their mean line IoU, the no-front count), and
`breakdown.csv` with the same pooled figures per glacier, sensor, season and Landsat 7
SLC state, read from the image ids (``core.breakdown``; a file of its own, so that every
row of metrics.csv stays one image or the pool). Images are
read as grey values (band 1, or a palette's grey levels; 8 or 16 bit); a label without a
front is skipped with a message. TURN rotates every image and label by k quarter turns
(counter-clockwise) first, to measure orientation robustness; FLOW then still names the
direction the ice flows in the *turned* images.
SCALE=f upsamples every image f times onto a metric grid (EPSG:3413, 40/f m pixels), as
a finer-resolution scene of the same glacier, to measure the pipeline's resampling
(``KEEP_RESOLUTION=1`` turns it off); distances stay in the original 40 m pixels.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

import numpy as np
from osgeo import gdal, gdal_array, osr
from scipy.ndimage import zoom

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TRAIN = ROOT.parent / "shared" / "data" / "frontlearning" / "train"
"""FrontLearning's labelled scenes (``../shared/data``, beside the checkout), the default of
the scripts that measure on them."""

from calfin_qgis.core.cli.args import add_option, detection_options  # noqa: E402
from calfin_qgis.core.detect.options import OPTIONS  # noqa: E402
from calfin_qgis.core.detect.picking import extract  # noqa: E402
from calfin_qgis.core.detect.segmentation import DetectOptions, segment  # noqa: E402
from calfin_qgis.core.evaluation.breakdown import GroupSummary, breakdown  # noqa: E402
from calfin_qgis.core.evaluation.labels import write_png  # noqa: E402
from calfin_qgis.core.evaluation.metrics import (  # noqa: E402
    ImageScore,
    Summary,
    rasterize_lines,
    score_image,
    summarize,
)
from calfin_qgis.core.geo import rasters  # noqa: E402
from calfin_qgis.core.network.model import Model, load_model  # noqa: E402
from calfin_qgis.core.products.naming import scene_id  # noqa: E402

LABEL_PIXEL_M = 40.0
"""The plausible grid a scaled image is put on (FrontLearning subsets are 30-50 m)."""
SETTINGS = [
    OPTIONS[name] for name in ("flow", "threshold", "low_threshold", "views", "flip", "resample")
]
"""The detection settings the evaluation takes, as the shell's detect does."""


def read_grey(path: Path) -> np.ndarray:
    """The image's grey values: band 1 (FrontLearning's RGBA PNGs repeat the grey), or a
    palette image's grey levels rather than its colour indices."""
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    values = band.ReadAsArray()
    table = band.GetColorTable()
    if table is not None:
        colours = np.array([table.GetColorEntry(i)[:3] for i in range(table.GetCount())])
        values = colours.mean(axis=1).round().astype(np.uint8)[values]
    return values


def to_vsimem(image: np.ndarray, name: str, scale: float) -> str:
    """The image as an in-memory GeoTIFF of its own data type: as it is, or upsampled onto a
    metric grid."""
    path = f"/vsimem/{name}.tif"
    if scale != 1:
        info = np.iinfo(image.dtype) if image.dtype.kind in "ui" else None
        zoomed = zoom(image.astype(np.float32), scale, order=1)
        image = (np.clip(zoomed, info.min, info.max) if info else zoomed).astype(image.dtype)
    ds = gdal.GetDriverByName("GTiff").Create(
        path,
        image.shape[1],
        image.shape[0],
        1,
        gdal_array.NumericTypeCodeToGDALTypeCode(image.dtype),
    )
    if scale != 1:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(3413)
        ds.SetProjection(srs.ExportToWkt())
        ds.SetGeoTransform(label_grid(LABEL_PIXEL_M / scale))
    ds.GetRasterBand(1).WriteArray(image)
    ds = None
    return path


def label_grid(pixel: float) -> rasters.GeoTransform:
    return (0.0, pixel, 0.0, 0.0, 0.0, -pixel)


def write_breakdown(path: Path, groups: list[GroupSummary]) -> None:
    """One row per group (key, value) with its pooled figures; printed as a table too."""
    header = ["key", "value", "images", "no_front", "mean_px", "median_px", "line_iou"]
    rows = [
        [g.key, g.value, g.summary.n_images, g.summary.n_no_front]
        + [f"{v:.3f}" for v in (g.summary.mean_px, g.summary.median_px, g.summary.line_iou)]
        for g in groups
    ]
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    print("breakdown (distances pooled per group):")
    print(f"  {'key':8}{'value':15}{'images':>7}{'no front':>9}{'mean px':>9}{'median px':>10}")
    for key, value, n, no_front, mean, median, _ in rows:
        print(f"  {key:8}{value:15}{n:>7}{no_front:>9}{mean:>9}{median:>10}")


def score_folder(
    model: Model,
    data: Path,
    out: Path,
    options: DetectOptions,
    match: str = "",
    turn: int = 0,
    scale: float = 1.0,
) -> list[ImageScore]:
    """Detect the front of every matching image of ``data`` through the plugin's pipeline,
    write each as a PNG into ``out`` and score it against its label (the one evaluation loop
    of `make evaluate` and `model/folds.py`)."""
    if not (data / "images").is_dir():
        sys.exit(
            f"evaluate: {data} has no images/ folder; DATA must be laid out like "
            "FrontLearning's train folder (images/*.png, labels_1px/*_Front.png)"
        )
    images = sorted(p for p in (data / "images").glob("*.png") if re.search(match, p.name))
    if not images:
        matching = f" matching MATCH='{match}'" if match else ""
        sys.exit(f"evaluate: no images/*.png{matching} in {data}")
    out.mkdir(parents=True, exist_ok=True)
    earlier = {p.name for p in out.glob("*_Front.png")}
    grid = rasters.PIXEL_GEOTRANSFORM if scale == 1 else label_grid(LABEL_PIXEL_M)
    scores = []
    for path in images:
        name = scene_id(path.name)
        label_path = data / "labels_1px" / f"{name}_Front.png"
        if not label_path.exists():
            print(f"skip {path.name}: no label {label_path.name}")
            continue
        image = np.rot90(read_grey(path), turn)
        reference = np.rot90(rasters.open_scene(label_path).read()[0] < 128, turn)
        if not reference.any():
            print(f"skip {path.name}: its label {label_path.name} holds no front")
            continue
        scene = rasters.open_scene(to_vsimem(np.ascontiguousarray(image), name, scale))
        result = segment(model, scene, options)
        fronts = extract(result, options, result.timer)
        predicted = rasterize_lines([f.line for f in fronts], image.shape, grid)
        gdal.Unlink(scene.path)
        as_given = np.rot90(predicted, -turn)  # the PNG lies on the image's own grid
        write_png(out / label_path.name, as_given.astype(np.uint8) * 255)
        earlier.discard(label_path.name)
        scores.append(score_image(name, predicted, reference))
        s = scores[-1]
        print(f"{name}: mean {s.mean_px:.2f} px, median {s.median_px:.2f} px, found {s.found}")
    if earlier:
        print(
            f"note: {out} still holds {len(earlier)} prediction(s) of an earlier run that "
            f"this run did not write (e.g. {min(earlier)}); metrics.csv covers this run only"
        )
    return scores


def write_results(out: Path, scores: list[ImageScore]) -> Summary:
    """metrics.csv (one row per image, then the pool) and breakdown.csv; prints the figures."""
    summary = summarize(scores)
    with open(out / "metrics.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["image_id", "found", "no_front", "mean_px", "median_px", "line_iou", "n_pixels"]
        )
        for s in scores:
            writer.writerow(
                [
                    s.image_id,
                    int(s.found),
                    int(not s.found),
                    f"{s.mean_px:.3f}",
                    f"{s.median_px:.3f}",
                    f"{s.line_iou:.3f}",
                    s.n_pixels,
                ]
            )
        # pooled: distances of all images with a front; line IoU averaged over those images
        writer.writerow(
            [
                "POOLED",
                summary.n_images - summary.n_no_front,
                summary.n_no_front,
                f"{summary.mean_px:.3f}",
                f"{summary.median_px:.3f}",
                f"{summary.line_iou:.3f}",
                sum(s.n_pixels for s in scores),
            ]
        )
    write_breakdown(out / "breakdown.csv", breakdown(scores))
    print(
        f"images {summary.n_images}, no front {summary.n_no_front}, line IoU {summary.line_iou:.3f}"
    )
    print(f"pooled mean distance: {summary.mean_px:.2f} px")
    print(f"pooled median distance: {summary.median_px:.2f} px")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--turn", type=int, default=0, help="quarter turns applied first")
    parser.add_argument("--match", default="", help="only images whose name matches (regex)")
    parser.add_argument("--scale", type=float, default=1.0, help="upsample images this much")
    for option in SETTINGS:
        add_option(parser, option)
    args = parser.parse_args()
    model, messages = load_model()
    print("\n".join(messages))
    options = detection_options(args, SETTINGS)
    scores = score_folder(model, args.data, args.out, options, args.match, args.turn, args.scale)
    write_results(args.out, scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
