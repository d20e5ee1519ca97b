"""Fine-tuning's FRONTS from a front database's layer: CALFIN level-1 fronts are grouped by
their ImageID (manual ones only, QualFlag mapped to ours); TermPicks, which names no scene,
is refused with a message that says why. Reading and grouping only: no training."""

from __future__ import annotations

import pytest
from shapely import affinity

from calfin_qgis.core.databases.read import read_fronts_any
from calfin_qgis.core.databases.schemas import CALFIN_FIELDS, TERMPICKS_FIELDS
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.finetune import fronts
from tests.conftest import SAMPLE_FRONT
from tests.database_layers import calfin_row, write_layer

SCENE_A = "LE07_L1TP_009011_20010707_20170204_01_T1"
SCENE_B = "LE07_L1TP_009011_20020827_20170128_01_T1"
SCENE_C = "LC08_L1TP_009011_20150803_20170406_01_T1"


def line(dy: float = 0.0):
    return affinity.translate(read_fronts_any(SAMPLE_FRONT).records[0]["geometry"], 0, dy)


def test_calfin_fronts_are_grouped_by_image_id_manual_only(tmp_path):
    rows = [
        calfin_row(line(0), "2001-07-07", SCENE_A, qual=0),
        calfin_row(line(200), "2001-07-07", SCENE_A, qual=3),  # manual, SLC-off: kept
        calfin_row(line(0), "2002-08-27", SCENE_B, qual=0),
        calfin_row(line(0), "2015-08-03", SCENE_C, qual=10),  # automatic: left out
    ]
    path = write_layer(tmp_path / "termini_1972-2019_Jakobshavn_v1.0.shp", CALFIN_FIELDS, rows)
    grouped, crs = fronts.read_fronts(path)
    assert sorted(grouped) == [SCENE_A, SCENE_B]
    assert len(grouped[SCENE_A].lines) == 2 and len(grouped[SCENE_B].lines) == 1
    assert grouped[SCENE_A].glacier_id == "jakobshavn_isbrae"
    assert grouped[SCENE_A].date == "2001-07-07"
    assert grouped[SCENE_B].lines[0].equals_exact(line(0), 1e-6)
    assert "3413" in crs


def test_calfin_fronts_all_automatic_are_refused(tmp_path):
    rows = [calfin_row(line(0), "2015-08-03", SCENE_C, qual=10)]
    path = write_layer(tmp_path / "auto.shp", CALFIN_FIELDS, rows)
    with pytest.raises(InputError, match="flagged manual"):
        fronts.read_fronts(path)


def test_termpicks_without_image_ids_is_refused(tmp_path):
    row = {"GlacierID": 3, "Date": "2001-07-07", "Year": 2001, "Month": 7, "Day": 7}
    rows = [{**row, "QualFlag": 0, "Author": "Goliber_S", "geometry": line(0)}]
    path = write_layer(tmp_path / "TermPicks_V2.shp", TERMPICKS_FIELDS, rows)
    with pytest.raises(InputError, match="termpicks layout.*no image id.*scenes cannot be found"):
        fronts.read_fronts(path)
