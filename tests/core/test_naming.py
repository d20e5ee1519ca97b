"""Scene ids and acquisition dates parsed from the names of each supported product."""

from __future__ import annotations

import datetime

import pytest

from calfin_qgis.core.products.naming import scene_date, scene_id, scene_sensor


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LC08_L1TP_020007_20140801_20170420_01_T1_B8.TIF", datetime.date(2014, 8, 1)),
        (
            "Jakobshavn_LC09_L1TP_010011_20220615_20230401_02_T1_B5_Subset",
            datetime.date(2022, 6, 15),
        ),
        ("LC80200072014213LGN00", datetime.date(2014, 8, 1)),
        ("LE70200072000366ASN01_B4.tif", datetime.date(2000, 12, 31)),
        (
            "S2A_MSIL1C_20190726T151911_N0208_R068_T22WEV_20190727T171621.SAFE",
            datetime.date(2019, 7, 26),
        ),
        ("T22WEV_20190726T151911_B08.jp2", datetime.date(2019, 7, 26)),
        ("Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5_Subset.png", datetime.date(2018, 6, 6)),
        ("Helheim_S1B_EW_GRDM_1SDH_2018-06-26_011542_01536C_EB6F", datetime.date(2018, 6, 26)),
    ],
)
def test_scene_date_parses_each_format(name: str, expected: datetime.date) -> None:
    assert scene_date(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "front.tif",
        "LC08_L1TP_020007_20140231_20170420_01_T1",  # 31 February
        "LC80200072014000LGN00",  # day of year 0
        "LC80200072014366LGN00",  # 2014 has 365 days
        "XLC80200072014213LGN00",  # not at a word start
    ],
)
def test_scene_date_none_when_nothing_matches(name: str) -> None:
    assert scene_date(name) is None


def test_scene_id_strips_folder_extension_and_suffix() -> None:
    assert scene_id("/data/Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5_Subset.tif") == (
        "Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5"
    )
    assert scene_id(r"C:\fronts\Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5_Front.gpkg") == (
        "Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5"
    )
    assert scene_id("LC80200072014213LGN00") == "LC80200072014213LGN00"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LC08_L1TP_020007_20140801_20170420_01_T1_B8.TIF", ("LC08", "020007")),
        ("Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5_Subset.png", ("LC08", "232013")),
        ("LE70200072000366ASN01_B4.tif", ("LE07", "020007")),
        ("S2A_MSIL1C_20190726T151911_N0208_R068_T22WEV_20190727T171621.SAFE", ("S2A", "T22WEV")),
        ("T22WEV_20190726T151911_B08.jp2", ("S2", "T22WEV")),
        ("Helheim_S1B_EW_GRDM_1SDH_2018-06-26_011542_01536C_EB6F", ("S1B", "")),
        ("front.tif", ("", "")),
    ],
)
def test_scene_sensor_and_path_row_from_each_format(name: str, expected: tuple) -> None:
    assert scene_sensor(name) == expected
