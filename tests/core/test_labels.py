"""Training label images from front lines, without QGIS (the dock's export draws with it)."""

from __future__ import annotations

import numpy as np
import shapely
from osgeo import gdal

from calfin_qgis.core.evaluation.labels import label_name, write_labels
from calfin_qgis.core.geo.rasters import Scene


def test_labels_burn_the_line_on_the_scene_grid(tmp_path) -> None:
    scene = Scene("x.tif", 1, 40, 30, (1000.0, 10.0, 0.0, 2000.0, 0.0, -10.0), "", None, True)
    line = shapely.LineString([(1055.0, 1895.0), (1305.0, 1895.0)])  # row 10, cols 5..30
    thick, thin = write_labels(tmp_path, "LC08_X_Subset", [line], scene)
    assert thick == tmp_path / "labels" / "LC08_X_Front.png"
    assert thin == tmp_path / "labels_1px" / "LC08_X_Front.png"
    assert label_name("LC08_X") == "LC08_X_Front.png"
    one = gdal.Open(str(thin)).ReadAsArray()
    three = gdal.Open(str(thick)).ReadAsArray()
    assert one.shape == (30, 40) and set(np.unique(one)) == {0, 255}
    rows, cols = np.nonzero(one == 0)
    assert set(rows) == {10} and (cols.min(), cols.max()) == (5, 30)
    assert set(np.nonzero(three == 0)[0]) == {9, 10, 11}
    assert not list(tmp_path.rglob("*.aux.xml"))
