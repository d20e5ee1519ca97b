"""calfin:screen_fronts through processing.run in real headless QGIS: a screened copy with
the fired rules, the input untouched, bad layers refused with a clear message."""

from __future__ import annotations

import pytest
from osgeo import ogr
from qgis.core import QgsProcessingException, QgsVectorLayer

from calfin_qgis.core.geo import vectors
from tests.core.test_screening import WKT, series

pytestmark = pytest.mark.usefixtures("plugin")
FIELDS = (("glacier_id", "str"), ("image_id", "str"), ("date", "date"), ("note", "str"))


def write(path, fronts, fields=FIELDS):
    records = [
        {**f.__dict__, "geometry": f.geometry, "note": f"kept {k}"} for k, f in enumerate(fronts)
    ]
    vectors.write_fronts(path, records, fields, WKT)
    return path


def run(params: dict, feedback=None) -> dict:
    import processing

    return processing.run("calfin:screen_fronts", params, feedback=feedback)


def test_a_jump_is_screened_and_the_fields_are_kept(tmp_path):
    positions = [0.0] * 12
    positions[6] = 2000.0
    source = write(tmp_path / "fronts.gpkg", series(positions))
    before = source.read_bytes()
    out = tmp_path / "screened.gpkg"
    result = run({"INPUT": str(source), "OUTPUT": str(out)})
    assert result["SUSPECTS"] == 1
    layer = QgsVectorLayer(str(out))
    features = list(layer.getFeatures())
    assert [f["note"] for f in features] == [f"kept {k}" for k in range(12)]
    assert "jump" in features[6]["screen"]
    assert [f["screen"] for f in features].count("ok") == 11
    assert source.read_bytes() == before


def test_the_output_may_not_be_the_input(tmp_path):
    source = write(tmp_path / "fronts.gpkg", series([0.0] * 4))
    with pytest.raises(QgsProcessingException, match="replace your input"):
        run({"INPUT": str(source), "OUTPUT": str(source)})


def test_a_layer_without_dates_is_refused(tmp_path):
    fields = tuple(f for f in FIELDS if f[0] != "date")
    source = write(tmp_path / "undated.gpkg", series([0.0] * 4), fields)
    with pytest.raises(QgsProcessingException, match="no 'date' field"):
        run({"INPUT": str(source), "OUTPUT": str(tmp_path / "o.gpkg")})


def test_a_short_series_is_ok_with_a_note(tmp_path):
    from tests.algorithms.feedback import Log

    source = write(tmp_path / "two.gpkg", series([0.0, 3000.0]))
    out = tmp_path / "o.gpkg"
    log = Log()
    run({"INPUT": str(source), "OUTPUT": str(out)}, log)
    ds = ogr.Open(str(out))
    assert [f["screen"] for f in ds.GetLayer(0)] == ["ok", "ok"]
    assert any("too few for a series" in line for line in log.warnings)
