"""evaluate_fronts' report and table, the label-raster recipe, and the photo warnings, through
processing.run in real headless QGIS with the real model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import skimage.data
from qgis.core import QgsVectorLayer

from tests.algorithms.feedback import Log
from tests.algorithms.test_algorithms import run
from tests.conftest import DATA, SAMPLE_FRONT
from tests.core.test_sanity import write_jpeg

pytestmark = pytest.mark.usefixtures("plugin")

FRONTLEARNING = DATA / "frontlearning"


def test_metrics_csv_integers_are_not_quoted(tmp_path) -> None:
    """GDAL < 3.8 writes "1" for an integer field of a CSV; a table reader then sees text."""
    out = run(
        "calfin:evaluate_fronts",
        {
            "INPUT": str(SAMPLE_FRONT),
            "REFERENCE": str(SAMPLE_FRONT),
            "OUTPUT": str(tmp_path / "metrics.csv"),
        },
    )
    header, row = Path(out["OUTPUT"]).read_text().splitlines()
    assert header == (
        "image_id,found,mean_px,median_px,mean_m,median_m,line_iou,n_pixels,"
        "glacier_id,date,paired_by,mask_iou,bias_m"
    )
    assert '"' not in row and row.startswith("LE07_L1TP_009011_20010707_20170204_01_T1_B2,1,0,")
    assert not [p.name for p in tmp_path.iterdir() if p.name != "metrics.csv"]


@pytest.mark.slow
def test_a_reference_from_label_rasters_scores_the_frontlearning_scenes(tmp_path) -> None:
    """The README's recipe: label PNG → 0/1 raster → calfin:extract_fronts → reference lines;
    then detection on the PNG scenes (no georeference) and a report with their thumbnails."""
    references, detections = [], []
    for label in sorted((FRONTLEARNING / "labels_1px").glob("*_Front.png")):
        binary = run(
            "gdal:rastercalculator",
            {
                "INPUT_A": str(label),
                "BAND_A": 1,
                "FORMULA": "A==0",
                "RTYPE": 0,
                "OUTPUT": str(tmp_path / label.with_suffix(".tif").name),
            },
        )["OUTPUT"]
        references.append(
            run(
                "calfin:extract_fronts",
                {
                    "INPUT": binary,
                    "THRESHOLD": 0.5,
                    "MIN_LENGTH": 0,
                    "SIMPLIFY": 0,
                    "OUTPUT": str(tmp_path / f"ref_{label.stem}.gpkg"),
                },
            )["OUTPUT"]
        )
        scene = FRONTLEARNING / "images" / label.name.replace("_Front", "_Subset")
        detections.append(
            run(
                "calfin:detect_fronts",
                {"INPUT": str(scene), "FLOW": 1, "OUTPUT": str(tmp_path / f"{scene.stem}.gpkg")},
            )["OUTPUT"]
        )
    merged = [
        run("native:mergevectorlayers", {"LAYERS": layers, "OUTPUT": str(tmp_path / name)})[
            "OUTPUT"
        ]
        for layers, name in ((references, "reference.gpkg"), (detections, "detected.gpkg"))
    ]
    ids = {f["image_id"] for f in QgsVectorLayer(merged[0]).getFeatures()}
    assert len(ids) == 3 and all(i.endswith("_T1_B2") for i in ids)  # named by the label file
    out = run(
        "calfin:evaluate_fronts",
        {
            "INPUT": merged[1],
            "REFERENCE": merged[0],
            "PIXEL_SIZE": 1.0,
            "SCENES": str(FRONTLEARNING / "images"),
            "OUTPUT": str(tmp_path / "metrics.gpkg"),
            "REPORT": str(tmp_path / "report.html"),
        },
    )
    assert out["NO_FRONT"] == 0 and out["MEAN_PX"] < 5.0  # the real model on real scenes
    text = Path(out["REPORT"]).read_text()
    assert text.count("data:image/png;base64,") == 3 and "3 of 3 found" in text
    assert "1 px (the layers have no CRS: pixel coordinates)" in text
    assert "none (pixel coordinates)" in text
    table = re.search(r'<table class="sortable">.*?</table>', text).group(0)
    means = [float(v) for v in re.findall(r'<td data-v="([0-9.]+)">', table)]
    assert len(means) == 3 and means == sorted(means, reverse=True)  # worst first


@pytest.mark.slow
def test_detect_fronts_on_a_colour_photo_warns_and_never_flags_good(tmp_path) -> None:
    photo = write_jpeg(tmp_path / "astronaut.jpg", skimage.data.astronaut())
    log = Log()
    probs = tmp_path / "probs.tif"
    params = {"INPUT": str(photo), "OUTPUT": str(tmp_path / "f.gpkg"), "PROBABILITIES": str(probs)}
    out = run("calfin:detect_fronts", params, log)
    text = " ".join(log.warnings)
    assert "is a colour image" in text and "JPEG image without georeference" in text
    assert "does not split the scene into an ice side and an ocean side" in text
    flags = {f["qual_flag"] for f in QgsVectorLayer(out["OUTPUT"]).getFeatures()}
    assert flags == {13}

    # its probabilities, extracted later, say so too
    later = Log()
    out = run(
        "calfin:extract_fronts", {"INPUT": str(probs), "OUTPUT": str(tmp_path / "e.gpkg")}, later
    )
    assert "does not split the scene into an ice side and an ocean side" in " ".join(later.warnings)
    extracted = list(QgsVectorLayer(out["OUTPUT"]).getFeatures())
    assert extracted and {f["qual_flag"] for f in extracted} == {13}
