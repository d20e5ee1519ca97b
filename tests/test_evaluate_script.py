"""`make evaluate` on three real FrontLearning scenes: the whole chain on real data."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from osgeo import gdal

from tests.conftest import DATA, ROOT


def test_evaluate_writes_fronts_metrics_and_pooled_figures(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "evaluate.py"),
            str(DATA / "frontlearning"),
            str(tmp_path),
            "--flow",
            "up",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    last = result.stdout.strip().splitlines()[-2:]
    assert last[0].startswith("pooled mean distance: ") and last[0].endswith(" px")
    assert last[1].startswith("pooled median distance: ")
    labels = sorted((DATA / "frontlearning" / "labels_1px").glob("*_Front.png"))
    for label in labels:
        ds = gdal.Open(str(tmp_path / label.name))
        assert (ds.RasterXSize, ds.RasterYSize) == (200, 300)
        assert set(ds.ReadAsArray().ravel().tolist()) <= {0, 255}
    rows = list(csv.DictReader((tmp_path / "metrics.csv").read_text().splitlines()))
    assert [r["image_id"] for r in rows[:-1]] == [p.name.removesuffix("_Front.png") for p in labels]
    assert rows[-1]["image_id"] == "POOLED"
    median = float(last[1].split(": ")[1].removesuffix(" px"))
    assert median < 3.0  # the shipped model finds these fronts of an unseen glacier
