"""VIEWS and uncertainty_m through calfin:detect_fronts, segment and the batch in real
headless QGIS."""

from __future__ import annotations

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

from tests.algorithms.test_detect_fronts_batch import batch_params
from tests.conftest import SAMPLE_CLIP

pytestmark = pytest.mark.usefixtures("plugin")


def detect(scene, tmp_path, **extra) -> QgsVectorLayer:
    import processing

    params = {"INPUT": str(scene), "CLIP": str(SAMPLE_CLIP), "FLOW": "up", **extra}
    out = processing.run("calfin:detect_fronts", {**params, "OUTPUT": str(tmp_path / "f.gpkg")})
    return QgsVectorLayer(out["OUTPUT"])


@pytest.mark.parametrize("views", [1, "2", 8, None])
def test_detect_fronts_gives_each_front_an_uncertainty(sample_scene, tmp_path, views) -> None:
    layer = detect(sample_scene, tmp_path, **({} if views is None else {"VIEWS": views}))
    values = [feature["uncertainty_m"] for feature in layer.getFeatures()]
    assert values and all(isinstance(v, float) and 0 < v < 5000 for v in values)


@pytest.mark.parametrize("algorithm", ["calfin:detect_fronts", "calfin:segment"])
@pytest.mark.parametrize("views", [3, "4", 0])
def test_other_views_are_refused_naming_the_choices(sample_scene, tmp_path, algorithm, views):
    import processing

    params = {"INPUT": str(sample_scene), "VIEWS": views, "OUTPUT": str(tmp_path / "o.gpkg")}
    if algorithm == "calfin:segment":
        params["OUTPUT"] = str(tmp_path / "o.tif")
    with pytest.raises(
        QgsProcessingException, match=r"VIEWS=\S+ is not one of the values: VIEWS takes 1, 2 or 8"
    ):
        processing.run(algorithm, params)
    assert not list(tmp_path.glob("o.*"))


def test_flip_false_still_means_one_view(sample_scene, tmp_path) -> None:
    import processing

    from tests.algorithms.feedback import Log

    log = Log()
    params = {"INPUT": str(sample_scene), "FLIP": False, "OUTPUT": str(tmp_path / "p.tif")}
    assert processing.run("calfin:segment", params, feedback=log)["OUTPUT"]
    with pytest.raises(QgsProcessingException, match=r"turned off \(FLIP=false"):
        processing.run("calfin:segment", {**params, "VIEWS": 8})


def test_the_batch_algorithm_writes_uncertainties(batch_reference, tmp_path) -> None:
    import processing

    output = tmp_path / "fronts.gpkg"
    processing.run("calfin:detect_fronts_batch", batch_params(batch_reference, output))
    layer = QgsVectorLayer(f"{output}|layername=fronts")
    values = [feature["uncertainty_m"] for feature in layer.getFeatures()]
    assert values and all(isinstance(v, float) and v > 0 for v in values)
