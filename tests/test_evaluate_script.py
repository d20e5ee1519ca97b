"""`make evaluate` on three real FrontLearning scenes: the whole chain on real data."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from osgeo import gdal

from tests.conftest import DATA, ROOT

LABELS = sorted((DATA / "frontlearning" / "labels_1px").glob("*_Front.png"))


def evaluate(out: Path, *options: str) -> tuple[list[str], list[dict]]:
    """Run scripts/evaluate.py; its last two printed lines and the rows of metrics.csv
    (breakdown.csv and the whole output are left in ``out``)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(DATA / "frontlearning")]
        + [str(out), "--flow", "up", *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    (out / "stdout.txt").write_text(result.stdout)
    rows = list(csv.DictReader((out / "metrics.csv").read_text().splitlines()))
    return result.stdout.strip().splitlines()[-2:], rows


@pytest.mark.slow
@pytest.mark.parametrize("options", [(), ("--scale", "2.67")], ids=["40m", "as-15m"])
def test_evaluate_writes_fronts_metrics_and_pooled_figures(tmp_path: Path, options) -> None:
    last, rows = evaluate(tmp_path, *options)
    assert last[0].startswith("pooled mean distance: ") and last[0].endswith(" px")
    assert last[1].startswith("pooled median distance: ")
    for label in LABELS:  # in the label's grid, also when the scene was upsampled
        ds = gdal.Open(str(tmp_path / label.name))
        assert (ds.RasterXSize, ds.RasterYSize) == (200, 300)
        assert set(ds.ReadAsArray().ravel().tolist()) <= {0, 255}
    assert [r["image_id"] for r in rows[:-1]] == [p.name.removesuffix("_Front.png") for p in LABELS]
    assert rows[-1]["image_id"] == "POOLED"
    median = float(last[1].split(": ")[1].removesuffix(" px"))
    # Jakobshavn scenes, in the shipped model's training set; at 15 m they are found only
    # because the pipeline averages them back to the model's 40 m.
    assert median < 3.0


@pytest.mark.slow
def test_pooled_row_turned_predictions_and_other_png_kinds(tmp_path: Path) -> None:
    """The pooled row carries the no-front count; with TURN the PNGs stay on the image's
    grid; palette and 16-bit PNGs of the same scenes give the same figures."""
    import numpy as np

    last, rows = evaluate(tmp_path / "plain")
    pooled = rows[-1]
    assert pooled["no_front"] == str(sum(r["found"] == "0" for r in rows[:-1]))
    assert int(pooled["n_pixels"]) == sum(int(r["n_pixels"]) for r in rows[:-1])
    groups = list(csv.DictReader((tmp_path / "plain" / "breakdown.csv").open()))
    # the three fixture scenes: Jakobshavn, two Landsat 7 (2000, 2001: SLC-on) and one Landsat 5
    # of July 2001, September 2000 and October 1997
    assert [(g["key"], g["value"], g["images"]) for g in groups] == [
        ("glacier", "jakobshavn", "3"),
        ("sensor", "LE07", "2"),
        ("sensor", "LT05", "1"),
        ("season", "autumn", "2"),
        ("season", "summer", "1"),
        ("slc", "on", "2"),
    ]
    whole = groups[0]  # one glacier: its group is the pool
    assert [whole[k] for k in ("no_front", "mean_px", "median_px", "line_iou")] == [
        pooled[k] for k in ("no_front", "mean_px", "median_px", "line_iou")
    ]
    assert (
        "breakdown (distances pooled per group):" in (tmp_path / "plain" / "stdout.txt").read_text()
    )
    _, turned = evaluate(tmp_path / "turned", "--turn", "1")
    assert gdal.Open(str(tmp_path / "turned" / LABELS[0].name)).RasterXSize == 200
    assert len(turned) == len(rows)
    for kind in ("palette", "uint16"):
        data = tmp_path / kind
        (data / "images").mkdir(parents=True)
        (data / "labels_1px").symlink_to(DATA / "frontlearning" / "labels_1px")
        for image in sorted((DATA / "frontlearning" / "images").glob("*.png")):
            grey = gdal.Open(str(image)).ReadAsArray()[0]  # RGBA: band 1 is the grey
            if kind == "palette":  # indices in reverse order, grey levels in the table
                mem = gdal.GetDriverByName("MEM").Create("", 200, 300, 1, gdal.GDT_Byte)
                table = gdal.ColorTable()
                for i in range(256):
                    table.SetColorEntry(i, (255 - i, 255 - i, 255 - i, 255))
                mem.GetRasterBand(1).SetColorTable(table)
                mem.GetRasterBand(1).WriteArray(255 - grey)
            else:
                mem = gdal.GetDriverByName("MEM").Create("", 200, 300, 1, gdal.GDT_UInt16)
                mem.GetRasterBand(1).WriteArray(grey.astype(np.uint16) * 257)
            gdal.GetDriverByName("PNG").CreateCopy(str(data / "images" / image.name), mem)
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(data), str(data / "out")]
            + ["--flow", "up"],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        assert result.stdout.strip().splitlines()[-2:] == last, kind
