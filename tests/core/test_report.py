"""The evaluation report says what was compared and shows it: the sample scene's manual front
against copies of it moved by known distances, under other (real-format) image ids."""

from __future__ import annotations

import re

import shapely
from osgeo import ogr

from calfin_qgis.core.evaluation.report import RunInfo, worst_first, write_report
from calfin_qgis.core.evaluation.scoring import evaluate
from tests.conftest import SAMPLE_FRONT, SAMPLE_SCENE

SAMPLE_ID = "LE07_L1TP_009011_20010707_20170204_01_T1_B2"
SLC_OFF_ID = "LE07_L1TP_009011_20050702_20170115_01_T1_B2"
MISSED_ID = "LC08_L1TP_230012_20150819_20170226_01_T1_B5"


def sample_front() -> tuple[list, str]:
    """The sample scene's manual front and its CRS (WKT)."""
    ds = ogr.Open(str(SAMPLE_FRONT))  # kept: a layer outliving its dataset crashes OGR
    layer = ds.GetLayer()
    lines = [shapely.from_wkb(bytes(f.GetGeometryRef().ExportToWkb())) for f in layer]
    return lines, layer.GetSpatialRef().ExportToWkt()


def moved(lines: list, dy: float) -> list:
    return [shapely.affinity.translate(line, 0.0, dy) for line in lines]


def info(**changes) -> RunInfo:
    values = {
        "detected": "Calving fronts (/data/fronts.gpkg)",
        "reference": "manual (/data/manual.gpkg)",
        "id_fields": "image_id (detected) = image_id (reference)",
        "models": ("calfin_unet 1.1.0",),
        "pixel_size": 40.0,
        "pixel_source": "PIXEL_SIZE parameter",
        "crs": "EPSG:3413",
        "metres_per_unit": 1.0,
        "scenes": "/data/scenes",
        "created": "2026-11-26 12:00 UTC",
    }
    return RunInfo(**(values | changes))


def make_report(tmp_path) -> str:
    front, wkt = sample_front()
    reference = {SAMPLE_ID: front, SLC_OFF_ID: front, MISSED_ID: front}
    detected = {SAMPLE_ID: moved(front, 80.0), SLC_OFF_ID: moved(front, 200.0)}
    scores, summary, notes = evaluate(detected, reference, 40.0)
    path = tmp_path / "report.html"
    scenes = {SAMPLE_ID: SAMPLE_SCENE}
    write_report(
        str(path), scores, summary, detected, reference, info(), scenes.get, wkt, ["a note"]
    )
    return path.read_text()


def test_report_says_what_was_compared(tmp_path) -> None:
    text = make_report(tmp_path)
    for shown in (
        "Calving fronts (/data/fronts.gpkg)",
        "manual (/data/manual.gpkg)",
        "calfin_unet 1.1.0",
        "40 m (PIXEL_SIZE parameter)",
        "EPSG:3413",
        "2026-11-26 12:00 UTC",
        "/data/scenes: 1 of 3 found",
        "a note",
    ):
        assert shown in text, shown
    assert not list(tmp_path.glob("*.part*"))


def test_histogram_has_labelled_axes_in_pixels_and_metres(tmp_path) -> None:
    svg = re.search(r"<h2>Error histogram</h2>(<svg.*?</svg>)", make_report(tmp_path)).group(1)
    labels = re.findall(r'text-anchor="(?:end|middle)"[^>]*>([^<]+)</text>', svg)
    assert "front pixels" in svg and "distance to the other line" in svg
    assert "px" in labels and "m" in labels
    numbers = [float(v) for v in labels if re.fullmatch(r"[0-9.]+", v)]
    assert 0.0 in numbers and max(numbers) >= 200  # counts on y, 40 m per px on x


def test_fronts_over_the_scene_with_a_scale_bar_where_it_is_found(tmp_path) -> None:
    text = make_report(tmp_path)
    figures = re.findall(r"<figure><svg.*?</svg>", text)
    assert len(figures) == 3
    assert sum("data:image/png;base64," in f for f in figures) == 1  # only the sample scene
    assert all(re.search(r">\d+(\.\d+)? k?m</text>", f) for f in figures)  # scale bars


def test_table_worst_first_and_breakdown(tmp_path) -> None:
    text = make_report(tmp_path)
    table = re.search(r'<table class="sortable">.*?</table>', text).group(0)
    order = [i for i in (MISSED_ID, SLC_OFF_ID, SAMPLE_ID) if i in table]
    assert [table.index(i) for i in order] == sorted(table.index(i) for i in order)
    assert len(order) == 3 and "NO FRONT" in table and "<script>" in text
    for caption in ("Glacier", "Sensor", "Season", "Landsat 7 SLC"):
        assert f"<caption>{caption}</caption>" in text
    slc = re.search(r"<caption>Landsat 7 SLC</caption>.*?</table>", text).group(0)
    assert "<td>off</td>" in slc and "<td>on</td>" in slc
    assert "<td>jakobshavn</td>" in text and "<td>kangerlussuaq</td>" in text
    assert "<td>LC08</td>" in text and "<td>summer</td>" in text


def test_worst_first_puts_missed_images_before_the_largest_errors(tmp_path) -> None:
    front, _ = sample_front()
    scores, _, _ = evaluate(
        {"a": moved(front, 40.0), "b": moved(front, 400.0)},
        {"a": front, "b": front, "c": front},
        40.0,
    )
    assert [s.image_id for s in worst_first(scores)] == ["c", "b", "a"]
