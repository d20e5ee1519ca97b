"""Group keys from image ids, and per-group pooled figures (the CALFIN error breakdown)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from calfin_qgis.core.evaluation.breakdown import (
    GLACIERS,
    ImageGroups,
    breakdown,
    glacier_of,
    groups_of,
)
from calfin_qgis.core.evaluation.metrics import score_image
from calfin_qgis.core.products.naming import scene_id
from tests.conftest import ROOT

TRAIN = ROOT.parent / "shared" / "data" / "frontlearning" / "train"


@pytest.mark.parametrize(
    ("image_id", "expected"),
    [
        (
            "LE07_L1TP_009011_20050707_20170204_01_T1_B2",
            ImageGroups("jakobshavn", "LE07", "summer", "off"),
        ),
        (
            "LE07_L1TP_008011_20000323_20170212_01_T1_B2",
            ImageGroups("jakobshavn", "LE07", "winter", "on"),
        ),
        (  # the day of the failure itself is still SLC-on
            "LE07_L1TP_230012_20030531_20170123_01_T1_B8",
            ImageGroups("kangerlussuaq", "LE07", "spring", "on"),
        ),
        (
            "LT05_L1TP_021007_19991104_20161217_01_T1_B2",
            ImageGroups("sverdrup", "LT05", "autumn", ""),
        ),
        (
            "Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5",
            ImageGroups("helheim", "LC08", "summer", ""),
        ),
        (  # a glacier prefix overrides the path/row table
            "Store_LC09_L1TP_009011_20221215_20230401_02_T1_B5",
            ImageGroups("store", "LC09", "winter", ""),
        ),
        ("LE70200072003365ASN01", ImageGroups("sverdrup", "LE07", "winter", "off")),
        (
            "S2A_MSIL1C_20190426T151911_N0208_R068_T22WEV_20190427T171621",
            ImageGroups("", "S2A", "spring", ""),
        ),
        ("T22WEV_20190926T151911_B08", ImageGroups("", "S2", "autumn", "")),
        (
            "Helheim_S1B_EW_GRDM_1SDH_2018-01-26_011542_01536C_EB6F",
            ImageGroups("helheim", "S1B", "winter", ""),
        ),
        ("LC08_L1TP_001001_20140801_20170420_01_T1_B8", ImageGroups("", "LC08", "summer", "")),
        ("front_2019", ImageGroups("", "", "", "")),
    ],
)
def test_groups_of_each_name_form(image_id: str, expected: ImageGroups) -> None:
    assert groups_of(image_id) == expected


@pytest.mark.skipif(not TRAIN.is_dir(), reason=f"no FrontLearning training data at {TRAIN}")
def test_every_frontlearning_scene_has_a_glacier_sensor_and_season() -> None:
    """The 123 real training scenes: 30 Jakobshavn, 23 Kangerlussuaq, 70 Sverdrup (model card)."""
    ids = [scene_id(p.name) for p in sorted((TRAIN / "images").glob("*.png"))]
    assert len(ids) == 123
    assert Counter(glacier_of(i) for i in ids) == {
        "jakobshavn": 30,
        "kangerlussuaq": 23,
        "sverdrup": 70,
    }
    groups = [groups_of(i) for i in ids]
    assert {g.sensor for g in groups} == {"LT05", "LE07", "LC08"}
    assert all(g.season for g in groups)
    assert all((g.slc != "") == (g.sensor == "LE07") for g in groups)
    assert set(GLACIERS) == {g.glacier for g in groups}


def _score(image_id: str, shift: int, found: bool = True):
    """A horizontal reference line and a prediction ``shift`` rows off (or none)."""
    ref = np.zeros((20, 20), bool)
    ref[10, 2:18] = True
    pred = np.zeros_like(ref)
    if found:
        pred[10 + shift, 2:18] = True
    return score_image(image_id, pred, ref)


def test_breakdown_pools_each_group_and_counts_no_fronts() -> None:
    scores = [
        _score("LE07_L1TP_009011_20050707_20170204_01_T1_B2", 2),  # Jakobshavn, summer, SLC-off
        _score("LE07_L1TP_009011_20000323_20170204_01_T1_B2", 4),  # Jakobshavn, winter, SLC-on
        _score("LT05_L1TP_230012_19990707_20170204_01_T1_B2", 0, found=False),
        _score("front_2019", 1),  # no key known: in no group
    ]
    rows = {(g.key, g.value): g.summary for g in breakdown(scores)}
    assert set(rows) == {
        ("glacier", "jakobshavn"),
        ("glacier", "kangerlussuaq"),
        ("sensor", "LE07"),
        ("sensor", "LT05"),
        ("season", "summer"),
        ("season", "winter"),
        ("slc", "off"),
        ("slc", "on"),
    }
    jakobshavn = rows["glacier", "jakobshavn"]
    assert (jakobshavn.n_images, jakobshavn.n_no_front) == (2, 0)
    assert jakobshavn.mean_px == pytest.approx(3.0)  # equal pixel counts: (2 + 4) / 2
    assert rows["slc", "off"].mean_px == pytest.approx(2.0)
    kangerlussuaq = rows["glacier", "kangerlussuaq"]
    assert (kangerlussuaq.n_images, kangerlussuaq.n_no_front) == (1, 1)
    assert np.isnan(kangerlussuaq.mean_px)
    summer = rows["season", "summer"]  # the SLC-off scene and the missed Landsat 5 one
    assert (summer.n_images, summer.n_no_front, summer.median_px) == (2, 1, 2.0)
    assert [g.key for g in breakdown(scores, ["sensor"])] == ["sensor", "sensor"]


def test_breakdown_rejects_an_unknown_key() -> None:
    with pytest.raises(ValueError, match="path_row"):
        breakdown([], ["path_row"])
