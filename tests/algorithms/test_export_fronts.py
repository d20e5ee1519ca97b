"""calfin:export_fronts in real headless QGIS: each format from a layer, the glacier map
layer, rejected fronts left out, bad names refused before writing."""

from __future__ import annotations

import pytest
from qgis.core import QgsProcessingException

from calfin_qgis.core.databases.read import read_fronts_any
from calfin_qgis.core.databases.schemas import CALFIN_FIELDS
from tests.algorithms.feedback import Log
from tests.database_layers import calfin_row, glacier_map, our_fronts, write_layer

pytestmark = pytest.mark.usefixtures("plugin")


def run(params: dict, feedback=None) -> dict:
    import processing

    return processing.run("calfin:export_fronts", params, feedback=feedback)


@pytest.mark.parametrize("fmt", ["calfin", "termpicks", "autoterm", "geojson"])
def test_each_format(tmp_path, fmt):
    out = tmp_path / ("out.geojson" if fmt == "geojson" else "out.shp")
    log = Log()
    result = run(
        {
            "INPUT": str(our_fronts(tmp_path / "ours.gpkg")),
            "FORMAT": fmt,
            "GLACIER_MAP": str(glacier_map(tmp_path / "map.gpkg", 3)),
            "OUTPUT": str(out),
        },
        log,
    )
    assert result["COUNT"] == 3  # of 4: the rejected one is left out
    back = read_fronts_any(out)
    assert back.schema == ("calfin_qgis" if fmt == "geojson" else fmt)
    assert [r["qual_flag"] for r in back.records] == [0, 3, 13]
    assert {r["glacier_id"] for r in back.records} == {"jakobshavn_isbrae"}
    assert any("rejected" in w for w in log.warnings)


def test_calfin_reference_exports_again(tmp_path):
    """A CALFIN layer is a fronts layer too: exported as TermPicks it keeps its glacier."""
    from shapely.geometry import LineString

    line = LineString([(-185000, -2268000), (-184000, -2268500)])
    row = calfin_row(line, "2010-07-05", "LE07_L1TP_009011_20100705_20161212_01_T1", qual=13)
    source = write_layer(tmp_path / "termini_1972-2019_Jakobshavn_v1.0.shp", CALFIN_FIELDS, [row])
    run({"INPUT": str(source), "FORMAT": "termpicks", "OUTPUT": str(tmp_path / "tp.gpkg")})
    record = read_fronts_any(tmp_path / "tp.gpkg").records[0]
    assert (record["glacier_id"], record["qual_flag"]) == ("jakobshavn_isbrae", 10)


def test_bad_output_name(tmp_path):
    with pytest.raises(QgsProcessingException, match=r"\.shp or \.gpkg"):
        run(
            {
                "INPUT": str(our_fronts(tmp_path / "ours.gpkg")),
                "FORMAT": "termpicks",
                "OUTPUT": str(tmp_path / "out.geojson"),
            }
        )
    assert not (tmp_path / "out.geojson").exists()


def test_formats_are_the_cores():
    from calfin_qgis.core.databases import write
    from calfin_qgis.processing import export_fronts

    assert tuple(export_fronts.FORMATS) == write.FORMATS
