"""Every calfin algorithm through processing.run in real headless QGIS, on the sample scene."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
from pathlib import Path

import pytest
from qgis.core import (
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)

from tests.algorithms.feedback import Log
from tests.conftest import ROOT, SAMPLE_CLIP, SAMPLE_FRONT

FRONT_FIELDS = [
    *("glacier_id", "image_id", "date", "qual_flag", "confidence", "length_m", "source"),
    *("sensor", "path_row", "cloud_cover", "flow_azimuth"),
]

pytestmark = pytest.mark.usefixtures("plugin")


def run(algorithm: str, params: dict, feedback=None) -> dict:
    import processing

    return processing.run(algorithm, params, feedback=feedback)


def test_preprocess_writes_three_bands_on_the_scene_grid(sample_scene, tmp_path) -> None:
    out = run("calfin:preprocess", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "x.tif")})
    layer, scene = QgsRasterLayer(out["OUTPUT"]), QgsRasterLayer(str(sample_scene))
    assert layer.bandCount() == 3
    assert layer.crs().authid() == "EPSG:3413"
    assert layer.extent() == scene.extent()
    stats = layer.dataProvider().bandStatistics(2)
    assert 0.0 <= stats.minimumValue < stats.maximumValue <= 1.0


def test_segment_then_extract_gives_a_front_in_the_scene_crs(sample_scene, tmp_path) -> None:
    probs = run("calfin:segment", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "p.tif")})[
        "OUTPUT"
    ]
    raster = QgsRasterLayer(probs)
    assert raster.bandCount() == 2 and raster.crs().authid() == "EPSG:3413"
    assert raster.dataProvider().bandStatistics(1).maximumValue > 0.33
    fronts = run(
        "calfin:extract_fronts",
        {"INPUT": probs, "GLACIER_ID": "jakobshavn", "OUTPUT": str(tmp_path / "f.gpkg")},
    )["OUTPUT"]
    layer = QgsVectorLayer(fronts)
    assert layer.featureCount() == 1
    assert layer.crs().authid() == "EPSG:3413"
    front = next(layer.getFeatures())
    assert front["glacier_id"] == "jakobshavn"
    # the probability raster remembers its scene and model
    assert front["image_id"] == "LE07_L1TP_009011_20010707_20170204_01_T1_B2"
    assert front["date"].toString("yyyy-MM-dd") == "2001-07-07"
    assert front["source"].startswith("calfin_unet")


def test_detect_fronts_writes_attributed_lines(sample_scene, tmp_path) -> None:
    out = run(
        "calfin:detect_fronts",
        {
            "INPUT": str(sample_scene),
            "CLIP": str(SAMPLE_CLIP),
            "GLACIER_ID": "jakobshavn_isbrae",
            "FLOW": 1,  # up
            "OUTPUT": str(tmp_path / "fronts.gpkg"),
            "PROBABILITIES": str(tmp_path / "probs.tif"),
        },
    )
    layer = QgsVectorLayer(out["OUTPUT"])
    assert layer.geometryType() == QgsWkbTypes.LineGeometry
    assert layer.crs().authid() == "EPSG:3413"
    assert layer.fields().names()[1:] == FRONT_FIELDS  # after the GeoPackage fid
    assert layer.featureCount() == 1
    front = next(layer.getFeatures())
    assert front["image_id"] == "LE07_L1TP_009011_20010707_20170204_01_T1_B2"
    assert front["date"].toString("yyyy-MM-dd") == "2001-07-07"
    assert front["qual_flag"] in (10, 13)
    assert 0.33 < front["confidence"] <= 1.0
    assert 1000 < front["length_m"] < 12000
    assert front["source"].startswith("calfin_unet")
    assert (front["sensor"], front["path_row"]) == ("LE07", "009011")  # from the file name
    assert front["cloud_cover"] is None or front["cloud_cover"].isNull()  # no metadata file
    assert QgsRasterLayer(out["PROBABILITIES"]).bandCount() == 2


def test_band_help_is_the_band_table() -> None:
    from qgis.core import QgsApplication

    from calfin_qgis.core.products.bands import band_table_text

    for name in ("detect_fronts", "segment", "preprocess"):
        alg = QgsApplication.processingRegistry().algorithmById(f"calfin:{name}")
        assert band_table_text() in alg.shortHelpString()


def test_band_files_of_a_product_give_the_fronts_its_metadata(tmp_path) -> None:
    """A band inside a product (a tar read through /vsitar/, an extracted folder beside its
    MTL) gets the product's id, date, sensor, path/row and cloud cover; a 20 m band is
    averaged to 40 m through the tar. segment's probabilities remember the product for
    extract_fronts."""
    from tests import products as made

    folder = made.landsat_folder(tmp_path, made.C1_ETM, {2: 40.0, 8: 20.0}, cloud=8.5, collection=1)
    tar = made.landsat_tar(tmp_path, folder)
    feedback = Log()
    pan = QgsRasterLayer(f"/vsitar/{tar}/{made.C1_ETM}_B8.TIF", "B8", "gdal")  # as QGIS opens it
    assert pan.isValid()
    detected = run(
        "calfin:detect_fronts",
        {
            "INPUT": pan,
            "FLOW": 1,
            "OUTPUT": str(tmp_path / "detected.gpkg"),
        },
        feedback,
    )["OUTPUT"]
    band = folder / f"{made.C1_ETM}_B2.TIF"
    probs = run(
        "calfin:segment", {"INPUT": str(band), "FLOW": 1, "OUTPUT": str(tmp_path / "p.tif")}
    )["OUTPUT"]
    extracted = run(
        "calfin:extract_fronts", {"INPUT": probs, "OUTPUT": str(tmp_path / "extracted.gpkg")}
    )["OUTPUT"]
    log = "\n".join(feedback.info)
    assert "averaged from 20 m to 40 m" in log
    assert f"Scene {made.C1_ETM} (2001-07-07, cloud cover 8.5 %) LE07 009011" in log
    for fronts in (detected, extracted):
        front = next(QgsVectorLayer(fronts).getFeatures())
        assert front["image_id"] == made.C1_ETM
        assert front["date"].toString("yyyy-MM-dd") == "2001-07-07"
        assert (front["sensor"], front["path_row"], front["cloud_cover"]) == (
            "LE07",
            "009011",
            8.5,
        )


def test_evaluate_fronts_against_the_manual_front(sample_scene, tmp_path) -> None:
    detected = run(
        "calfin:detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "f.gpkg")}
    )["OUTPUT"]
    out = run(
        "calfin:evaluate_fronts",
        {
            "INPUT": detected,
            "REFERENCE": str(SAMPLE_FRONT),
            "PIXEL_SIZE": 40.0,
            "SCENES": str(tmp_path),  # holds the sample scene: drawn under the fronts
            "OUTPUT": str(tmp_path / "metrics.gpkg"),
            "REPORT": str(tmp_path / "report.html"),
        },
    )
    table = QgsVectorLayer(out["OUTPUT"])
    assert table.featureCount() == 1
    row = next(table.getFeatures())
    assert row["found"] == 1
    assert row["mean_m"] == pytest.approx(row["mean_px"] * 40.0)
    assert row["median_m"] == pytest.approx(row["median_px"] * 40.0)
    assert out["MEAN_PX"] == pytest.approx(row["mean_px"])
    assert out["MEAN_PX"] < 10.0  # the real model on a real scene of the validation glacier
    html = Path(out["REPORT"]).read_text()
    assert "<svg" in html and "no front" in html
    # what was compared: the files, the model that ran, the pixel size and its source, when
    assert f"({tmp_path / 'f.gpkg'})" in html and f"({SAMPLE_FRONT})" in html
    assert re.search(r"<td>calfin_unet \d+\.\d+\.\d+</td>", html)
    assert "40 m (PIXEL_SIZE)" in html and "EPSG:3413" in html
    assert datetime.date.today().isoformat() in html
    assert html.count("data:image/png;base64,") == 1 and "1 of 1 found" in html
    assert "<caption>Landsat 7 SLC</caption>" in html and "<td>jakobshavn</td>" in html
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById("calfin:evaluate_fronts")
    declared = {o.name() for o in alg.outputDefinitions()}
    assert {"MEAN_PX", "MEDIAN_PX", "NO_FRONT"} <= declared  # usable in the modeler


def test_temporary_outputs_load_without_a_phantom_layer(sample_scene) -> None:
    """Only the real sink is queued for loading: a second, never-written entry made QGIS
    report 'layers were not correctly generated' after every temporary run."""
    from qgis.core import (
        QgsApplication,
        QgsProcessingContext,
        QgsProcessingOutputLayerDefinition,
        QgsProject,
    )

    alg = QgsApplication.processingRegistry().createAlgorithmById("calfin:detect_fronts")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = QgsProcessingFeedback()
    output = QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance())
    params = {"INPUT": str(sample_scene), "OUTPUT": output}  # as the toolbox passes it
    _, ok = alg.run(params, context, feedback)
    assert ok
    (details,) = context.layersToLoadOnCompletion().values()
    assert sample_scene.stem in details.name


def test_rewriting_a_raster_drops_its_old_statistics(sample_scene, tmp_path) -> None:
    out = tmp_path / "probs.tif"
    run("calfin:segment", {"INPUT": str(sample_scene), "OUTPUT": str(out)})
    stale = Path(f"{out}.aux.xml")
    stale.write_text("<PAMDataset><Metadata><MDI key='STATISTICS_MEAN'>9</MDI></Metadata>")
    run("calfin:segment", {"INPUT": str(sample_scene), "OUTPUT": str(out)})
    assert not stale.exists()


def test_batch_rows_are_independent(sample_scene, tmp_path) -> None:
    """As the batch dialog runs each row on its own: a bad row fails, the good one finishes."""
    rows = [
        {"INPUT": str(tmp_path / "missing.tif"), "OUTPUT": str(tmp_path / "a.gpkg")},
        {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "b.gpkg")},
    ]
    outcomes = []
    for row in rows:
        try:
            outcomes.append(run("calfin:detect_fronts", row)["OUTPUT"])
        except QgsProcessingException as err:
            outcomes.append(err)
    assert isinstance(outcomes[0], QgsProcessingException)
    assert QgsVectorLayer(outcomes[1]).featureCount() == 1
    assert not (tmp_path / "a.gpkg").exists()


def test_cancel_segment_leaves_no_output(sample_scene, tmp_path) -> None:
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda _: feedback.cancel())
    out = tmp_path / "probs.tif"
    with pytest.raises(QgsProcessingException, match="Cancelled: no output was written"):
        run("calfin:segment", {"INPUT": str(sample_scene), "OUTPUT": str(out)}, feedback)
    assert feedback.isCanceled()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("probs", ".probs"))]


def test_model_chains_segment_into_extract(sample_scene, tmp_path) -> None:
    """The graphical modeler's way: segment's OUTPUT feeds extract_fronts' INPUT."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterRasterLayer,
    )

    model = QgsProcessingModelAlgorithm("chain", "calfin")
    model.addModelParameter(
        QgsProcessingParameterRasterLayer("scene", "scene"), QgsProcessingModelParameter("scene")
    )
    seg = QgsProcessingModelChildAlgorithm("calfin:segment")
    seg.setChildId("seg")
    seg.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("scene")]
    )
    model.addChildAlgorithm(seg)
    ext = QgsProcessingModelChildAlgorithm("calfin:extract_fronts")
    ext.setChildId("ext")
    ext.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromChildOutput("seg", "OUTPUT")]
    )
    output = QgsProcessingModelOutput("fronts")
    output.setChildOutputName("OUTPUT")
    ext.setModelOutputs({"fronts": output})
    model.addChildAlgorithm(ext)
    import processing

    result = processing.run(
        model, {"scene": str(sample_scene), "ext:fronts": str(tmp_path / "m.gpkg")}
    )
    assert QgsVectorLayer(result["ext:fronts"]).featureCount() == 1


def test_qgis_process_runs_detect_fronts(sample_scene, tmp_path) -> None:
    out = tmp_path / "fronts.gpkg"
    args = f"run calfin:detect_fronts -- INPUT={sample_scene} OUTPUT={out}"
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "qgis_process", f"ARGS={args}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert QgsVectorLayer(str(out)).featureCount() == 1
    assert "CPUExecutionProvider" in result.stdout + result.stderr


def test_segment_accepts_preprocess_output(sample_scene, tmp_path) -> None:
    """preprocess → segment (as chained in a model) equals segment on the scene itself."""
    import numpy as np
    from osgeo import gdal

    model_input = run(
        "calfin:preprocess", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "x.tif")}
    )["OUTPUT"]
    chained = run("calfin:segment", {"INPUT": model_input, "OUTPUT": str(tmp_path / "a.tif")})
    direct = run("calfin:segment", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "b.tif")})
    a = gdal.Open(chained["OUTPUT"]).ReadAsArray()
    b = gdal.Open(direct["OUTPUT"]).ReadAsArray()
    np.testing.assert_allclose(a, b, atol=1e-5)
    fronts = run(
        "calfin:extract_fronts", {"INPUT": chained["OUTPUT"], "OUTPUT": str(tmp_path / "f.gpkg")}
    )["OUTPUT"]
    front = next(QgsVectorLayer(fronts).getFeatures())
    assert front["image_id"] == "LE07_L1TP_009011_20010707_20170204_01_T1_B2"


def test_fine_scene_is_averaged_to_the_model_scale(sample_scene, tmp_path) -> None:
    """The 40 m sample made a 15 m scene (as a panchromatic band) still gives its front."""
    from osgeo import gdal

    (tmp_path / "15m").mkdir()
    fine = tmp_path / "15m" / "LE07_L1TP_009011_20010707_20170204_01_T1_B2.tif"
    gdal.Translate(str(fine), str(sample_scene), xRes=15, yRes=15, resampleAlg="bilinear")
    log = Log()
    out = run(
        "calfin:detect_fronts",
        {
            "INPUT": str(fine),
            "OUTPUT": str(tmp_path / "f.gpkg"),
            "PROBABILITIES": str(tmp_path / "p.tif"),
        },
        log,
    )
    assert any("averaged from 15 m to 40 m" in line for line in log.info)
    probs = QgsRasterLayer(out["PROBABILITIES"])
    assert probs.rasterUnitsPerPixelX() == 40 and probs.crs().authid() == "EPSG:3413"
    scores = run(
        "calfin:evaluate_fronts",
        {
            "INPUT": out["OUTPUT"],
            "REFERENCE": str(SAMPLE_FRONT),
            "PIXEL_SIZE": 40.0,
            "OUTPUT": str(tmp_path / "metrics.gpkg"),
        },
    )
    assert scores["MEAN_PX"] < 10.0

    kept = run(
        "calfin:segment",
        {"INPUT": str(fine), "RESAMPLE": False, "OUTPUT": str(tmp_path / "k.tif")},
    )
    assert QgsRasterLayer(kept["OUTPUT"]).rasterUnitsPerPixelX() == 15


def test_evaluate_pairs_ids_as_a_glaciologist_writes_them() -> None:
    """NULL ids pair with nothing; 7.0 and 7 are one image; a _Subset file name is its id."""
    from qgis.core import NULL

    from calfin_qgis.processing.evaluate_fronts import image_key

    assert image_key(NULL) is None and image_key(None) is None
    assert image_key(7.0) == image_key(7) == "7"
    assert image_key("LE07_X_B2_Subset") == image_key("LE07_X_B2") == "LE07_X_B2"


def test_file_path_of_layer_sources_and_destinations() -> None:
    """The one parser behind the destination checks and the output-is-an-input check."""
    from calfin_qgis.adapter.layers import file_path

    assert file_path("/data/fronts.gpkg|layername=fronts") == "/data/fronts.gpkg"
    assert file_path("C:/data/fronts.gpkg") == "C:/data/fronts.gpkg"  # a drive, not a scheme
    assert file_path("/data/a:b.tif") == "/data/a:b.tif"
    uris = ("memory:Calving fronts", "ogr:dbname='/d/x.gpkg' table=f", "TEMPORARY_OUTPUT")
    for uri in uris:
        assert file_path(uri) == ""
