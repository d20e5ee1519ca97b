"""How well screening separates bad fronts from good ones: one glacier's FrontLearning scenes
through the batch (``run_batch``, screening on) with a model (by default held-out Jakobshavn
and the validation twin), every front scored against its manual label. Prints the table of
the README / model card, section "How far to trust a front", subsection "Screening".

    python scripts/measure_screening.py [OUT] [--model M] [--workers N]
        [--glacier jakobshavn|kangerlussuaq|sverdrup] [--exclude-dates YYYYMMDD ...]

The FrontLearning scenes (Jakobshavn: WRS 008011, 009011, 010011; the other glaciers' path/rows
in ``evaluation.breakdown.GLACIER_PATH_ROWS``) are PNGs without a georeference: each is wrapped
as a GeoTIFF on a *plausible, not true* EPSG:3413 grid of 40 m pixels, one grid per path/row
(the subsets of a path/row cover one fjord window; the n-th path/row of that table lies
n x 50 km east of the first, so no two windows overlap). Each path/row is a glacier of its own
in the batch's polygons (``<glacier>_<path/row>``, the window's footprint, ice flowing up),
so each is one time series of its dated fronts.
Error of a scene: the mean pixel distance between its fronts and the manual front, both
ways (``evaluation.metrics``, as ``make evaluate``). ``--exclude-dates`` leaves the scenes of
those dates (a fine-tuned model's training scenes) out of the counts; they stay in the
batch, so the series are screened as a user would get them.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calfin_qgis.core.batch.glaciers import Glacier  # noqa: E402
from calfin_qgis.core.batch.runner import run_batch  # noqa: E402
from calfin_qgis.core.detect.jobs import DetectJob  # noqa: E402
from calfin_qgis.core.detect.segmentation import DetectOptions  # noqa: E402
from calfin_qgis.core.evaluation.breakdown import GLACIER_PATH_ROWS  # noqa: E402
from calfin_qgis.core.evaluation.metrics import rasterize_lines, score_image  # noqa: E402
from calfin_qgis.core.geo import rasters  # noqa: E402
from calfin_qgis.core.products.naming import scene_id  # noqa: E402

TRAIN = ROOT.parent / "shared" / "data" / "frontlearning" / "train"
if not TRAIN.is_dir():
    TRAIN = Path("/work/shared/data/frontlearning/train")
TWIN = ROOT / "model" / "validation" / "calfin_unet_val_jakobshavn.onnx"
PATH_ROWS = tuple(path_row for rows in GLACIER_PATH_ROWS.values() for path_row in rows)
"""Every FrontLearning path/row in a fixed order (Jakobshavn's first): where its window lies."""
CENTRE = (-185000.0, -2271000.0)
PIXEL = 40.0
FAR_PX, NEAR_PX = 10.0, 3.0


def srs_wkt() -> str:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3413)
    return srs.ExportToWkt()


def grid(path_row: str, width: int, height: int) -> tuple:
    x0 = CENTRE[0] - width / 2 * PIXEL + PATH_ROWS.index(path_row) * 50_000.0
    return (x0, PIXEL, 0.0, CENTRE[1] + height / 2 * PIXEL, 0.0, -PIXEL)


def wrap(png: Path, target: Path) -> tuple:
    image = rasters.open_scene(png).read()[0]
    gt = grid(png.name.split("_")[2], image.shape[1], image.shape[0])
    ds = gdal.GetDriverByName("GTiff").Create(str(target), image.shape[1], image.shape[0], 1)
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs_wkt())
    ds.GetRasterBand(1).WriteArray(image)
    ds = None
    return gt, image.shape


def glaciers(glacier: str, shapes: dict[str, tuple]) -> list[Glacier]:
    """One polygon per path/row: its window's footprint, ice flowing up."""
    from shapely.geometry import box

    out = []
    for path_row, (gt, (height, width)) in sorted(shapes.items()):
        x0, y1 = gt[0], gt[3]
        outline = box(x0, y1 - height * PIXEL, x0 + width * PIXEL, y1)
        out.append(Glacier(f"{glacier}_{path_row}", outline.wkb, "up"))
    return out


def read_fronts(path: Path) -> dict[str, tuple[list, str]]:
    """image_id -> (its front lines, its screen value)."""
    from shapely import wkb

    out: dict = defaultdict(lambda: ([], "ok"))
    ds = ogr.Open(str(path))
    for feature in ds.GetLayerByName("fronts"):
        lines, _ = out[feature["image_id"]]
        lines.append(wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb())))
        out[feature["image_id"]] = (lines, feature["screen"] or "ok")
    return out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "screening_measure")
    parser.add_argument("--model", type=Path, default=TWIN)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--glacier", choices=tuple(GLACIER_PATH_ROWS), default="jakobshavn")
    parser.add_argument(
        "--exclude-dates",
        nargs="+",
        default=[],
        metavar="YYYYMMDD",
        help="scenes of these dates stay in the batch but out of the counts (training scenes)",
    )
    parser.add_argument(
        "--rescreen",
        action="store_true",
        help="screen OUT's earlier batch output again (after a change of the rules), no detection",
    )
    return parser.parse_args()


def scene_pngs(glacier: str) -> list[Path]:
    """The glacier's FrontLearning PNGs, sorted by name."""
    path_rows = GLACIER_PATH_ROWS[glacier]
    pngs = (TRAIN / "images").glob("*_Subset.png")
    return sorted(p for p in pngs if p.name.split("_")[2] in path_rows)


def wrap_scenes(pngs: list[Path], scenes: Path) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """The PNGs as GeoTIFFs in ``scenes``: grids by scene id, and by path/row."""
    scenes.mkdir(parents=True, exist_ok=True)
    grids, shapes = {}, {}
    for png in pngs:
        name = scene_id(png.name)
        grids[name] = wrap(png, scenes / f"{name}.tif")
        shapes[png.name.split("_")[2]] = grids[name]
    return grids, shapes


def detect(args: argparse.Namespace, shapes: dict[str, tuple]) -> Path:
    """The batch over ``OUT/scenes``, screening on: its fronts layer."""
    from calfin_qgis.core.batch.executors import open_executor

    output = args.out / "fronts.gpkg"
    output.unlink(missing_ok=True)
    template = DetectJob("", DetectOptions(flow="up"), model=str(args.model))
    with open_executor(args.workers) as executor:
        summary = run_batch(
            [str(args.out / "scenes")],
            glaciers(args.glacier, shapes),
            srs_wkt(),
            str(output),
            template,
            log=lambda kind, text: print(text, file=sys.stderr) if "screen" in text else None,
            executor=executor,
        )
    print(f"batch: {summary.text}; {summary.suspects} front(s) screened")
    return output


def rescreen(args: argparse.Namespace, shapes: dict[str, tuple]) -> Path:
    """OUT's fronts layer, screened again where it lies (the batch's own last step)."""
    from calfin_qgis.core.batch.runner import screen_output

    output = args.out / "fronts.gpkg"
    if not output.is_file():
        sys.exit(f"--rescreen: no earlier batch output {output}; run without --rescreen first")
    polygons = glaciers(args.glacier, shapes)
    suspects = screen_output(str(output), polygons, srs_wkt(), lambda kind, text: None)
    print(f"screened again: {suspects} front(s) screened")
    return output


def main() -> int:
    args = parse_args()
    pngs = scene_pngs(args.glacier)
    unknown = set(args.exclude_dates) - {png.name.split("_")[3] for png in pngs}
    if unknown:
        sys.exit(f"--exclude-dates: no {args.glacier} scene on {', '.join(sorted(unknown))}")
    grids, shapes = wrap_scenes(pngs, args.out / "scenes")
    fronts = read_fronts(rescreen(args, shapes) if args.rescreen else detect(args, shapes))
    rows, left_out = [], []
    for name, (gt, shape) in sorted(grids.items()):
        label = rasters.open_scene(TRAIN / "labels_1px" / f"{name}_Front.png").read()[0] < 128
        lines, screen = fronts.get(name, ([], "ok"))
        score = score_image(name, rasterize_lines(lines, shape, gt), label)
        excluded = name.split("_")[3] in args.exclude_dates
        (left_out if excluded else rows).append(
            (name, score.mean_px if score.found else None, screen)
        )
        error = f"{score.mean_px:7.2f}" if score.found else "     --"
        print(f"{name}  {error} px  {screen}" + ("  (excluded: not counted)" if excluded else ""))
    if args.exclude_dates:
        print(
            f"left out of the counts: {len(left_out)} scene(s) of {len(args.exclude_dates)} date(s)"
        )
    default = args.glacier == "jakobshavn" and args.model == TWIN
    title = (
        "held-out Jakobshavn, twin model"
        if default
        else f"{args.glacier}, {args.model.parent.name}/{args.model.name}"
    )
    print_table(rows, title)
    return 0


ISSUE_RULES = ("length", "smoothness", "jump", "rate", "edge", "short")
"""The rules issue 21 names; 'uncertain' and 'confidence' read the model's own doubt."""


def _screened(screen: str, only: tuple[str, ...] = ()) -> bool:
    names = [n for n in screen.split(";") if n not in ("ok", "reviewed")]
    return any(n in only for n in names) if only else bool(names)


def _rules_fired(rows: list[tuple[str, float | None, str]]) -> str:
    """'rule count, ...' over the rows' screen values (a scene counts once per rule)."""
    counts: dict[str, int] = defaultdict(int)
    for _, _, screen in rows:
        for name in screen.split(";"):
            counts[name] += screen != "ok"
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"


def print_table(rows: list[tuple[str, float | None, str]], title: str) -> None:
    groups = {
        "no front (nothing to screen)": [r for r in rows if r[1] is None],
        f"> {FAR_PX:g} px off": [r for r in rows if r[1] is not None and r[1] > FAR_PX],
        f"{NEAR_PX:g}-{FAR_PX:g} px": [
            r for r in rows if r[1] is not None and NEAR_PX < r[1] <= FAR_PX
        ],
        f"within {NEAR_PX:g} px": [r for r in rows if r[1] is not None and r[1] <= NEAR_PX],
    }
    print(f"\n{title:<32}{'scenes':>7}{'screened':>14}{'by the six rules':>18}")
    for label, members in groups.items():
        cells = []
        for only in ((), ISSUE_RULES):
            n = sum(_screened(r[2], only) for r in members)
            cells.append(f"{n} ({100 * n / len(members):.0f} %)" if members else "--")
        print(f"{label:<32}{len(members):>7}{cells[0]:>14}{cells[1]:>18}")
    print(f"rules fired (scenes): {_rules_fired(rows)}")
    near = [r for r in groups[f"within {NEAR_PX:g} px"] if _screened(r[2])]
    if near:
        print(f"rules fired on the fronts within {NEAR_PX:g} px: {_rules_fired(near)}")
    errors = [r[1] for r in rows if r[1] is not None]
    kept = [r[1] for r in rows if r[1] is not None and not _screened(r[2])]
    print(
        f"mean error of the scenes with a front: all {np.mean(errors):.2f} px ({len(errors)}), "
        f"unscreened {np.mean(kept):.2f} px ({len(kept)})"
    )


if __name__ == "__main__":
    sys.exit(main())
