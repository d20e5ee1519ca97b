"""calfin:suggest_corrections through processing.run in real headless QGIS: the table of
scenes to correct, the same as the core's, and a clear refusal of a file that is not a
batch output."""

from __future__ import annotations

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

from tests.batch_outputs import image_id, suspect_batch

pytestmark = pytest.mark.usefixtures("plugin")


@pytest.fixture
def batch_output(tmp_path):
    return suspect_batch(tmp_path / "batch.gpkg")


def run(params: dict) -> dict:
    import processing

    return processing.run("calfin:suggest_corrections", params)


def test_the_table_of_scenes_to_correct(batch_output, tmp_path):
    out = tmp_path / "to_correct.gpkg"
    result = run({"INPUT": str(batch_output), "COUNT": 5, "GLACIER": "g1", "OUTPUT": str(out)})
    layer = QgsVectorLayer(result["OUTPUT"])
    assert layer.isValid() and not layer.isSpatial()
    rows = [(f["image_id"], f["reason"]) for f in layer.getFeatures()]
    assert [r[0] for r in rows] == [image_id(k) for k in (1, 2, 4, 8, 9)]
    assert rows[1][1] == "no front found"
    assert [f["date"].toString("yyyy-MM-dd") for f in layer.getFeatures()][0] == "2015-02-01"


def test_not_a_batch_output(tmp_path):
    with pytest.raises(QgsProcessingException, match="not found"):
        run({"INPUT": str(tmp_path / "nothing.gpkg"), "OUTPUT": "memory:"})
