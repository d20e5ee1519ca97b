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
    """Run scripts/evaluate.py; its last two printed lines and the rows of metrics.csv."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(DATA / "frontlearning")]
        + [str(out), "--flow", "up", *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = list(csv.DictReader((out / "metrics.csv").read_text().splitlines()))
    return result.stdout.strip().splitlines()[-2:], rows


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
