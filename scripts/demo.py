"""`make demo`: detect the front on the shipped sample scene with calfin:detect_fronts in
headless QGIS and evaluate it against the scene's manual front (HTML report); then a small
time series: seven Jakobshavn scenes of 1994-2002 through calfin:detect_fronts_batch (with
the 27 glacier search polygons) and calfin:terminus_change, by five methods side by side
(box, curvilinear box, centreline, extrapolated centreline, multi-centreline), then without
any drawing: the centreline and box built from the glacier polygon and the fronts' ice side.

The time-series scenes are FrontLearning subsets of one path/row put on the sample's
plausible EPSG:3413 grid (tests/data/timeseries, scripts/make_sample_data.py): positions
and changes are in metres on that grid, not on the glaciers' true map coordinates."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

from headless_qgis import calfin_processing

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "demo_output"
SCENE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Subset.tif"
REFERENCE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.gpkg"
TIME_SERIES = DATA / "timeseries"
GLACIERS = DATA / "glacier_polygons.gpkg"


def time_series(processing) -> None:
    """Seven scenes × 27 glacier polygons → one fronts layer → terminus positions."""
    scenes = OUT / "scenes"
    shutil.rmtree(scenes, ignore_errors=True)
    scenes.mkdir()
    for scene in [SCENE, *TIME_SERIES.glob("*.tif")]:
        shutil.copy(scene, scenes / scene.name.replace("_Subset", ""))
    fronts = OUT / "time_series_fronts.gpkg"
    fronts.unlink(missing_ok=True)  # a rerun would resume (and skip) the finished scenes
    batch = processing.run(
        "calfin:detect_fronts_batch",
        {
            "FOLDER": str(scenes),
            "CLIP": str(GLACIERS),
            "OUTPUT": str(fronts),
            "STATUS": str(OUT / "time_series_status.csv"),
        },
    )
    print_screening(fronts)
    print_suggestions(processing, fronts)
    change = processing.run(
        "calfin:terminus_change",
        {
            "INPUT": f"{batch['OUTPUT']}|layername=fronts",
            "BOX": str(TIME_SERIES / "box.gpkg"),
            "CENTRELINE": str(TIME_SERIES / "centreline.gpkg"),
            "BOX_WIDTH": 2000,  # the drawn box's width
            "OUTPUT": str(OUT / "terminus_change.csv"),
            "PROFILES": str(OUT / "terminus_profiles.csv"),
            "REPORT": str(OUT / "terminus_change.html"),
        },
    )
    print("\nTerminus positions of Jakobshavn Isbrae by method (plausible grid, metres):")
    _print_table(change["OUTPUT"])
    auto = processing.run(
        "calfin:terminus_change",
        {
            "INPUT": f"{batch['OUTPUT']}|layername=fronts",
            "GLACIERS": str(GLACIERS),
            "METHOD": "curvilinear_box",
            "OUTPUT": str(OUT / "terminus_change_auto.csv"),
            "GEOMETRY": str(OUT / "terminus_geometry_auto.gpkg"),
            "REPORT": str(OUT / "terminus_change_auto.html"),
        },
    )
    print("\nThe same without drawing (centreline and box from the glacier polygon):")
    _print_table(auto["OUTPUT"])
    print(f"Time-series fronts:  {batch['OUTPUT']} (status: {batch['STATUS']})")
    print(f"Terminus reports:    {change['REPORT']}, {auto['REPORT']}")
    print(f"Automatic geometry:  {auto['GEOMETRY']}")


COLUMNS = (
    ("box", "box_position_m"),
    ("curv.box", "curvilinear_box_position_m"),
    ("centreline", "centreline_position_m"),
    ("extrap.", "extrapolated_centreline_position_m"),
    ("multi", "multi_centreline_position_m"),
    ("extended", "extended_m"),
    ("change", "change_m"),
)


def _print_table(path: str) -> None:
    print(f"{'date':<12}" + "".join(f"{title:>11}" for title, _ in COLUMNS) + "  warning")
    with open(path, newline="") as table:
        for row in csv.DictReader(table):
            values = "".join(f"{_m(row[name]):>11}" for _, name in COLUMNS)
            print(f"{row['date']:<12}{values}  {row['warning']}")


def print_screening(fronts: Path) -> None:
    """The batch's closing screening: each front's verdict (field screen)."""
    from osgeo import ogr

    ds = ogr.Open(str(fronts))
    layer = ds.GetLayerByName("fronts")
    known = layer.FindFieldIndex("uncertainty_m", 1) >= 0
    rows = sorted(
        (str(f["date"]), f["image_id"], f["screen"], f["uncertainty_m"] if known else None)
        for f in layer
    )
    suspects = [row for row in rows if row[2] not in ("ok", "reviewed")]
    print(f"\nScreening of the time series (batch SCREEN): {len(suspects)} of {len(rows)} fronts")
    print(f"  {'date':<12}{'image_id':<46}{'uncertainty':>12}  screen")
    for date, image_id, screen, uncertainty in rows:
        metres = "–" if uncertainty is None else f"{uncertainty:.0f} m"
        print(f"  {date.replace('/', '-'):<12}{image_id:<46}{metres:>12}  {screen}")
    if suspects:
        print("terminus_change leaves the screened fronts out (KEEP_SCREENED keeps them).")


def print_suggestions(processing, fronts: Path) -> None:
    """calfin:suggest_corrections on the batch output: what to correct before fine-tuning."""
    from qgis.core import QgsVectorLayer

    table = processing.run(
        "calfin:suggest_corrections", {"INPUT": str(fronts), "COUNT": 3, "OUTPUT": "memory:"}
    )["OUTPUT"]
    layer = table if isinstance(table, QgsVectorLayer) else QgsVectorLayer(table)
    print("\nScenes to correct first before fine-tuning (calfin:suggest_corrections, COUNT=3):")
    for f in layer.getFeatures():
        print(f"  {f['glacier_id']:<22}{f['date'].toString('yyyy-MM-dd'):<12}{f['reason']}")


def _m(text: str) -> str:
    return f"{float(text):.0f}" if text else "–"


def main() -> int:
    with calfin_processing() as processing:
        OUT.mkdir(exist_ok=True)
        fronts = OUT / "fronts.gpkg"
        detected = processing.run(
            "calfin:detect_fronts",
            {
                "INPUT": str(SCENE),
                "GLACIER_ID": "jakobshavn_isbrae",
                "OUTPUT": str(fronts),
                "PROBABILITIES": str(OUT / "probabilities.tif"),
            },
        )
        report = processing.run(
            "calfin:evaluate_fronts",
            {
                "INPUT": detected["OUTPUT"],
                "REFERENCE": str(REFERENCE),
                "PIXEL_SIZE": 40.0,
                "SCENES": str(DATA),  # the report draws the fronts over their scene
                "OUTPUT": str(OUT / "metrics.csv"),
                "REPORT": str(OUT / "report.html"),
            },
        )
        print(f"Fronts layer:        {detected['OUTPUT']}")
        print(f"Probability raster:  {detected['PROBABILITIES']}")
        print(f"Evaluation report:   {report['REPORT']}")
        print(
            f"Error against the manual front: mean {report['MEAN_PX']:.2f} px, "
            f"median {report['MEDIAN_PX']:.2f} px (40 m pixels). This scene was among the shipped "
            "model's training scenes; held-out figures are in model/MODEL_CARD.md."
        )
        time_series(processing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
