"""Bad input and faults in real headless QGIS (issue 24): the same clear line as the shell,
pixel layers counted in pixels, a cancel that is an error, a bug's traceback once."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import ogr
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from tests.algorithms.feedback import Log
from tests.algorithms.test_detect_fronts_batch import CancelAfterFirstJob, batch_params
from tests.batch_scenes import fronts
from tests.core.test_input_faults import JAKOBSHAVN, vector_file

pytestmark = pytest.mark.usefixtures("plugin")


def run(algorithm: str, params: dict, feedback=None) -> dict:
    import processing

    return processing.run(algorithm, params, feedback=feedback)


def pixel_fronts(path: Path, lines: dict[str, str], glacier: str | None = None) -> Path:
    """Fronts as calfin writes them for a scene without georeference: a GeoPackage layer
    without CRS (GDAL records it as the 'Undefined geographic SRS')."""
    extra = {"date": "2001/07/07"} if glacier else {}
    features = [(glacier or "g", wkt, {"image_id": image, **extra}) for image, wkt in lines.items()]
    return vector_file(path, features, epsg=None, geometry=ogr.wkbLineString)


def test_evaluate_counts_pixel_layers_in_pixels_whatever_pixel_size_says(tmp_path) -> None:
    detected = pixel_fronts(tmp_path / "detected.gpkg", {"a": "LINESTRING (10 10, 10 110)"})
    reference = pixel_fronts(tmp_path / "reference.gpkg", {"a": "LINESTRING (13 10, 13 110)"})
    params = {"INPUT": str(detected), "REFERENCE": str(reference), "OUTPUT": "TEMPORARY_OUTPUT"}
    plain = Log()
    without = run("calfin:evaluate_fronts", params, plain)
    assert without["MEAN_PX"] == pytest.approx(3.0, abs=0.5)
    assert any(
        "Pixel size 1 px (the layers have no CRS: pixel coordinates)" in i for i in plain.info
    )

    given = Log()
    with_size = run("calfin:evaluate_fronts", {**params, "PIXEL_SIZE": 30}, given)
    assert with_size["MEAN_PX"] == without["MEAN_PX"]  # pixels, not 30 'degrees'
    assert not any(" deg" in line for line in given.info)
    assert any(
        "PIXEL_SIZE is left out: the layers are in pixel coordinates" in w for w in given.warnings
    )

    on_map = vector_file(tmp_path / "map.gpkg", [("g", JAKOBSHAVN, {"image_id": "a"})])
    with pytest.raises(QgsProcessingException, match="is in pixel coordinates .no CRS. and"):
        run("calfin:evaluate_fronts", {**params, "REFERENCE": str(on_map)})


def test_terminus_refuses_pixel_fronts_against_a_map_box(tmp_path) -> None:
    fronts_px = pixel_fronts(tmp_path / "px.gpkg", {"a": "LINESTRING (10 20, 100 200)"}, "g")
    box = vector_file(tmp_path / "box.gpkg", [("g", JAKOBSHAVN)])
    params = {"INPUT": str(fronts_px), "BOX": str(box), "OUTPUT": "TEMPORARY_OUTPUT"}
    with pytest.raises(QgsProcessingException, match=r"has no CRS \(pixel coordinates"):
        run("calfin:terminus_change", params)
    report = str(tmp_path / "t.html")
    with pytest.raises(QgsProcessingException, match="Two outputs are the same file"):
        run("calfin:terminus_change", {**params, "OUTPUT": report, "REPORT": report})


def test_batch_glacier_polygons_null_id_and_empty_geometry_as_in_the_shell(
    batch_reference, tmp_path
) -> None:
    from calfin_qgis.core.batch.glaciers import read_glaciers
    from calfin_qgis.core.errors import InputError

    nulls = vector_file(tmp_path / "nulls.gpkg", [("a", JAKOBSHAVN), (None, JAKOBSHAVN)])
    with pytest.raises(InputError) as shell:
        read_glaciers(str(nulls))
    params = batch_params(batch_reference, tmp_path / "fronts.gpkg", CLIP=str(nulls))
    with pytest.raises(QgsProcessingException) as qgis:
        run("calfin:detect_fronts_batch", params)
    for message in (str(shell.value), str(qgis.value)):  # the file's name, the layer's
        assert message.startswith("Feature 2 of nulls")
        assert message.endswith(
            "has no glacier id (empty or NULL). Fill in its id, or delete the feature."
        )
    assert not (tmp_path / "fronts.gpkg").exists()

    empty = vector_file(tmp_path / "g.gpkg", [("jakobshavn", JAKOBSHAVN), ("gone", None)])
    log = Log()
    run("calfin:detect_fronts_batch", {**params, "CLIP": str(empty), "WORKERS": 1}, log)
    assert any("(glacier gone) has no geometry: left out" in w for w in log.warnings)
    assert fronts(tmp_path / "fronts.gpkg") == fronts(batch_reference["output"])


def test_a_cancelled_batch_is_an_error_that_says_the_jobs_are_kept(batch_reference, tmp_path):
    output = tmp_path / "fronts.gpkg"
    params = batch_params(batch_reference, output, WORKERS=1)
    with pytest.raises(QgsProcessingException, match="Cancelled .*run again with the same OUTPUT"):
        run("calfin:detect_fronts_batch", params, CancelAfterFirstJob())
    assert len(fronts(output)) <= 1  # the job written before the cancel is kept


class Errors(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803
        self.errors.append(error)
        super().reportError(error, fatalError)


def test_a_bug_is_reported_once_with_its_traceback(batch_reference, tmp_path, monkeypatch):
    from calfin_qgis.core.batch import runner

    def broken(*_args, **_kwargs):
        raise AttributeError("'NoneType' object has no attribute 'decode'")

    monkeypatch.setattr(runner, "run_batch", broken)
    feedback = Errors()
    with pytest.raises(QgsProcessingException) as raised:
        run(
            "calfin:detect_fronts_batch",
            batch_params(batch_reference, tmp_path / "f.gpkg"),
            feedback,
        )
    message = str(raised.value)
    assert message.count("Traceback (most recent call last)") == 1
    assert message.count("AttributeError: 'NoneType' object has no attribute 'decode'") == 1
    assert sum(error.count("Traceback") for error in feedback.errors) <= 1
