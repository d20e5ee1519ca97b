"""The dock's reference layer: a CALFIN layer's fronts drawn beside the front under review,
paired by image id, else by glacier and date; a layer of no known layout says why."""

from __future__ import annotations

from qgis.core import QgsProject, QgsVectorLayer
from shapely.geometry import LineString

from calfin_qgis.core.databases.schemas import CALFIN_FIELDS
from tests.database_layers import calfin_row, write_layer


def test_reference_fronts_beside_the_front_under_review(dock, tmp_path) -> None:
    line = LineString([(-186000, -2269000), (-184000, -2269000)])
    rows = [
        calfin_row(line, "2001-07-07", "LE07_L1TP_009011_20010707_20170204_01_T1"),
        calfin_row(line, "1997-10-01", "LT05_L1TP_008011_19971001_20161229_01_T1"),
    ]
    path = write_layer(tmp_path / "termini_1972-2019_Jakobshavn_v1.0.shp", CALFIN_FIELDS, rows)
    layer = QgsVectorLayer(str(path), "calfin", "ogr")
    QgsProject.instance().addMapLayer(layer)
    dock.reference_combo.setLayer(layer)
    assert dock.current_fid == 1  # 2001-07-07, our image id has the band: glacier and date
    assert dock.reference_label.text() == "1 reference front(s), paired by glacier and date"
    assert dock.reference_band.numberOfVertices() == 2
    dock.go_to(3)  # 1997-10-01, image LT05_..._Subset: the CALFIN ImageID lacks _B2
    assert dock.reference_label.text() == "1 reference front(s), paired by glacier and date"
    dock.go_to(4)  # 2003-08-01: CALFIN has no front of that day
    assert dock.reference_label.text() == "No reference front"
    assert dock.reference_band.numberOfVertices() == 0
    other = write_layer(
        tmp_path / "other.gpkg", [("name", "str")], [{"name": "x", "geometry": line}]
    )
    other_layer = QgsVectorLayer(str(other), "other", "ogr")
    QgsProject.instance().addMapLayer(other_layer)
    dock.reference_combo.setLayer(other_layer)
    assert "follow none of the front layouts" in dock.reference_label.text()
