"""calfin:evaluate_fronts against the field's databases: the demo's fronts scored against a
CALFIN-schema reference built from the demo's manual front (lines and a _closed_ polygon),
pairing by glacier and date, the four figures, the bias's sign, and TermPicks' integer ids."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer
from shapely import affinity
from shapely.geometry import LineString, Point

from calfin_qgis.core.databases.read import read_fronts_any
from calfin_qgis.core.databases.schemas import CALFIN_FIELDS, TERMPICKS_FIELDS
from calfin_qgis.core.evaluation.masks import ice_mask
from calfin_qgis.core.schema import FRONT_FIELDS
from tests.algorithms.feedback import Log
from tests.conftest import DATA, SAMPLE_FRONT
from tests.database_layers import calfin_row, glacier_map, write_layer

pytestmark = pytest.mark.usefixtures("plugin")
GLACIERS = DATA / "glacier_polygons.gpkg"  # Loebel's search areas: wide, not fjord outlines
FJORD = DATA / "timeseries" / "box.gpkg"  # the demo's box: fjord walls that the front crosses
PRODUCT = "LE07_L1TP_009011_20010707_20170204_01_T1"  # CALFIN's ImageID: no band suffix
UPSTREAM = Point(-185120, -2272600)  # where tests/data/timeseries/centreline.gpkg starts


def manual_front() -> LineString:
    return read_fronts_any(SAMPLE_FRONT).records[0]["geometry"]


def fjord() -> object:
    return read_fronts_any(FJORD, id_field="glacier_id").records[0]["mask"]


def calfin_reference(folder: Path, closed: bool = False) -> Path:
    """The demo's manual front as CALFIN publishes fronts (EPSG:3413, GlacierID, RefName,
    ImageID without band); closed: as CALFIN closes it, with the fjord's walls (the ice side)."""
    shape = manual_front()
    if closed:
        shape = ice_mask([shape], fjord(), UPSTREAM)
    suffix = "_closed_v1.0" if closed else "_v1.0"
    row = calfin_row(shape, "2001-07-07", PRODUCT, qual=0, glacier=3)
    return write_layer(folder / f"termini_1972-2019_Jakobshavn{suffix}.shp", CALFIN_FIELDS, [row])


def evaluate(detected, reference, tmp_path, **extra) -> tuple[dict, Log]:
    import processing

    log = Log()
    params = {
        "INPUT": str(detected),
        "REFERENCE": str(reference),
        "PIXEL_SIZE": 30.0,
        "OUTPUT": str(tmp_path / "metrics.gpkg"),
        "REPORT": str(tmp_path / "report.html"),
        **extra,
    }
    return processing.run("calfin:evaluate_fronts", params, feedback=log), log


def rows(result) -> list:
    return list(QgsVectorLayer(result["OUTPUT"]).getFeatures())


@pytest.fixture(scope="module")
def demo_fronts(tmp_path_factory, model_path) -> Path:
    """calfin:detect_fronts on the demo's scene, as `make demo` runs it."""
    import shutil

    import processing

    from tests.conftest import SAMPLE_SCENE

    folder = tmp_path_factory.mktemp("demo")
    scene = shutil.copy(SAMPLE_SCENE, folder / SAMPLE_SCENE.name)
    result = processing.run(
        "calfin:detect_fronts",
        {"INPUT": str(scene), "GLACIER_ID": "jakobshavn_isbrae", "OUTPUT": str(folder / "f.gpkg")},
    )
    return Path(result["OUTPUT"])


@pytest.mark.parametrize("closed", [False, True])
def test_demo_fronts_against_calfin_reference(demo_fronts, tmp_path, closed):
    extra = {"GLACIERS": str(FJORD)} if closed else {"GLACIERS": str(GLACIERS), "FLOW": "up"}
    result, log = evaluate(demo_fronts, calfin_reference(tmp_path, closed), tmp_path, **extra)
    assert "Reference in the calfin layout; paired: 1 by glacier and date" in log.info
    (row,) = rows(result)
    assert (row["glacier_id"], row["paired_by"]) == ("jakobshavn_isbrae", "glacier and date")
    assert row["date"].toPyDate() == datetime.date(2001, 7, 7)
    # the four figures: the real model on the demo scene, against its manual front
    assert result["MEAN_M"] < 100 and result["MEDIAN_M"] <= result["MEAN_M"] * 2
    assert 0 < result["LINE_IOU"] <= 1
    assert 0.95 < result["MASK_IOU"] <= 1 and row["mask_iou"] == pytest.approx(result["MASK_IOU"])
    assert abs(result["BIAS_M"]) < result["MEAN_M"] * 3
    page = Path(result["REPORT"]).read_text()
    assert "mask IoU" in page and "Series against the reference" in page
    assert "calfin layout, 1 by glacier and date" in page  # what paired how


def shifted_fronts(folder: Path, dy: float) -> Path:
    """Our fronts: the manual front moved ``dy`` metres north (the ice flows north here)."""
    row = {
        "glacier_id": "jakobshavn_isbrae",
        "image_id": f"{PRODUCT}_B8",
        "date": datetime.date(2001, 7, 7),
        "qual_flag": 10,
        "geometry": affinity.translate(manual_front(), 0, dy),
    }
    return write_layer(folder / f"ours_{dy:+.0f}.gpkg", FRONT_FIELDS, [row])


@pytest.mark.parametrize(("dy", "side"), [(300.0, "ahead"), (-300.0, "behind")])
def test_bias_says_ahead_or_behind(tmp_path, dy, side):
    reference = calfin_reference(tmp_path, closed=True)
    result, log = evaluate(shifted_fronts(tmp_path, dy), reference, tmp_path, GLACIERS=str(FJORD))
    assert (result["BIAS_M"] > 50) == (dy > 0) and (result["BIAS_M"] < -50) == (dy < 0)
    assert f"({side})" in "\n".join(log.info)
    assert f"(ours {side})" in Path(result["REPORT"]).read_text()
    assert result["MASK_IOU"] < 1


def termpicks_reference(folder: Path) -> Path:
    row = {
        "GlacierID": 17,
        "Date": "2001-07-07",
        "Year": 2001,
        "Month": 7,
        "Day": 7,
        "DecDate": 2001.51,
        "QualFlag": 0,
        "Satellite": "LE07",
        "Author": "Someone_A",
        "geometry": manual_front(),
    }
    return write_layer(folder / "TermPicks_V2.shp", TERMPICKS_FIELDS, [row])


def test_termpicks_integer_ids_need_the_glacier_map(tmp_path):
    ours, reference = shifted_fronts(tmp_path, 0.0), termpicks_reference(tmp_path)
    with pytest.raises(QgsProcessingException, match="GLACIER_MAP"):
        evaluate(ours, reference, tmp_path)
    map_path = glacier_map(tmp_path / "map.gpkg", 17, Point(0, 0))
    result, log = evaluate(ours, reference, tmp_path, GLACIER_MAP=str(map_path))
    assert result["MEAN_PX"] == 0 and rows(result)[0]["paired_by"] == "glacier and date"
