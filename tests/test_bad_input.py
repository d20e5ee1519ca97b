"""Bad input meets a clear error that names the problem and the fix, and leaves no file behind.

Each case runs where a user meets it: through the Processing algorithms in headless QGIS
(``processing.run``) and/or through the command line (``python -m calfin_qgis.core``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from calfin_qgis.core.cli import commands
from tests.scenes import (
    STUB_EDGES_ONNX,
    WRONG_SHAPE_ONNX,
    leftovers,
    make_nodata_scene,
    make_scene,
    write_model,
)

gdal.UseExceptions()
ogr.UseExceptions()

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE_FRONT = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.gpkg"
SAMPLE_CLIP = DATA / "jakobshavn_isbrae.gpkg"


@pytest.fixture()
def fresh_models():
    """The Processing algorithms keep models open between runs; start and end clean."""
    from calfin_qgis.core.detect.jobs import cached_model

    cached_model.cache_clear()
    yield
    cached_model.cache_clear()


class Recorder:
    """A QgsProcessingFeedback that keeps every message, to check what the user reads."""

    def __init__(self):
        from qgis.core import QgsProcessingFeedback

        class _Feedback(QgsProcessingFeedback):
            def __init__(self, sink):
                super().__init__()
                self.sink = sink

            def reportError(self, error, fatalError=False):  # noqa: N802, N803 - QGIS API
                self.sink.append(("error", error))
                super().reportError(error, fatalError)

            def pushWarning(self, warning):  # noqa: N802 - QGIS API
                self.sink.append(("warning", warning))
                super().pushWarning(warning)

            def pushInfo(self, info):  # noqa: N802 - QGIS API
                self.sink.append(("info", info))
                super().pushInfo(info)

        self.messages: list[tuple[str, str]] = []
        self.feedback = _Feedback(self.messages)

    def text(self, *kinds: str) -> str:
        return "\n".join(m for k, m in self.messages if not kinds or k in kinds)


def run_alg(alg: str, params: dict, expect_failure: bool = False):
    """processing.run with a recording feedback; returns (results or exception text, recorder)."""
    import processing
    from qgis.core import QgsProcessingException

    recorder = Recorder()
    try:
        results = processing.run(f"calfin:{alg}", params, feedback=recorder.feedback)
    except QgsProcessingException as err:
        if not expect_failure:
            raise AssertionError(f"{alg} failed: {err}\n{recorder.text()}") from err
        return f"{err}\n{recorder.text()}", recorder
    assert not expect_failure, f"{alg} should have failed:\n{recorder.text()}"
    return results, recorder


def run_cli(*args: str, capsys) -> tuple[int, str]:
    code = commands.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out + out.err


def features(path: Path) -> tuple[int, str]:
    """(feature count, CRS authority code) of the first layer of a vector file."""
    ds = ogr.Open(str(path))
    layer = ds.GetLayer(0)
    srs = layer.GetSpatialRef()
    return layer.GetFeatureCount(), (srs.GetAuthorityCode(None) if srs else "")


def assert_nothing_written(folder: Path, *names: str) -> None:
    for name in names:
        assert not (folder / name).exists(), f"{name} was written"
    assert leftovers(folder) == []


def reproject_vector(src: Path, dst: Path, epsg: int) -> Path:
    gdal.VectorTranslate(str(dst), str(src), dstSRS=f"EPSG:{epsg}", reproject=True)
    return dst


def polygon_file(path: Path, wkt: str, epsg: int) -> Path:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("clip", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    layer.CreateFeature(feature)
    ds = None
    return path


# --- the scene ---------------------------------------------------------------------------


def test_missing_scene(plugin, model_path, tmp_path, capsys) -> None:
    missing = tmp_path / "no_such_scene.tif"
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", missing, out, capsys=capsys)
    assert code == 2
    assert "not found" in text and str(missing) in text and "Check the path" in text
    message, _ = run_alg("detect_fronts", {"INPUT": str(missing), "OUTPUT": str(out)}, True)
    assert "INPUT" in message
    assert_nothing_written(tmp_path, out.name)


def test_scene_that_is_not_a_raster(plugin, model_path, tmp_path, capsys) -> None:
    fake = tmp_path / "notes.tif"
    fake.write_text("these are field notes, not an image\n")
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", fake, out, capsys=capsys)
    assert code == 2
    assert "Cannot read" in text and "as a raster" in text and "GeoTIFF" in text
    message, _ = run_alg("detect_fronts", {"INPUT": str(fake), "OUTPUT": str(out)}, True)
    assert "INPUT" in message
    assert_nothing_written(tmp_path, out.name)


def test_band_out_of_range(plugin, model_path, sample_scene, tmp_path, capsys) -> None:
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", sample_scene, out, "--band", "4", capsys=capsys)
    assert code == 2
    assert "Band 4 does not exist" in text and "between 1 and 1" in text
    message, _ = run_alg(
        "detect_fronts", {"INPUT": str(sample_scene), "BAND": 4, "OUTPUT": str(out)}, True
    )
    assert "Band 4" in message or "BAND" in message
    message, _ = run_alg(
        "detect_fronts", {"INPUT": str(sample_scene), "BAND": 0, "OUTPUT": str(out)}, True
    )
    assert "Band 0 does not exist" in message and "between 1 and 1" in message
    assert_nothing_written(tmp_path, out.name)


def test_all_nodata_scene(plugin, model_path, tmp_path, capsys) -> None:
    scene = make_nodata_scene(tmp_path / "empty.tif")
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", scene, out, capsys=capsys)
    assert code == 2
    assert "only nodata" in text and "Choose another band, scene or clip polygon" in text
    message, _ = run_alg("detect_fronts", {"INPUT": str(scene), "OUTPUT": str(out)}, True)
    assert "only nodata" in message
    assert_nothing_written(tmp_path, out.name)


@pytest.mark.slow
def test_scene_without_crs_works_in_pixels(plugin, model_path, tmp_path, capsys) -> None:
    scene = make_scene(tmp_path / "no_crs.tif", 300, 300, epsg=None)
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", scene, out, capsys=capsys)
    assert code == 0, text
    assert "no georeference" in text and "pixel units" in text
    assert out.exists()
    out2 = tmp_path / "fronts_qgis.gpkg"
    results, recorder = run_alg("detect_fronts", {"INPUT": str(scene), "OUTPUT": str(out2)})
    assert Path(results["OUTPUT"].split("|")[0]).exists()
    assert "pixel units" in recorder.text("warning")
    assert leftovers(tmp_path) == []


def test_scene_smaller_than_one_tile_is_padded(plugin, model_path, tmp_path, capsys) -> None:
    scene = make_scene(tmp_path / "small.tif", 150, 100)
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli(
        "detect", scene, out, "--probabilities", tmp_path / "probs.tif", capsys=capsys
    )
    assert code == 0, text
    ds = gdal.Open(str(tmp_path / "probs.tif"))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (150, 100, 2)
    edge = ds.GetRasterBand(1).ReadAsArray()
    assert np.nanmin(edge) >= 0.0 and np.nanmax(edge) <= 1.0
    assert features(out)[1] == "32622"
    results, _ = run_alg(
        "segment", {"INPUT": str(scene), "OUTPUT": str(tmp_path / "probs_qgis.tif")}
    )
    assert gdal.Open(results["OUTPUT"]).RasterXSize == 150


@pytest.mark.slow
def test_scene_with_no_front_gives_empty_layer(plugin, model_path, tmp_path, capsys) -> None:
    scene = make_scene(tmp_path / "flat.tif", 300, 300, constant=5000)
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", scene, out, capsys=capsys)
    assert code == 0, text
    assert "No calving front found" in text and "empty layer" in text
    assert "holds one value (5000)" in text and "alpha or empty band" in text
    assert features(out)[0] == 0
    out2 = tmp_path / "fronts_qgis.gpkg"
    results, recorder = run_alg("detect_fronts", {"INPUT": str(scene), "OUTPUT": str(out2)})
    assert features(Path(results["OUTPUT"].split("|")[0]))[0] == 0
    assert "No calving front found" in recorder.text("warning")
    assert "holds one value" in recorder.text("warning")


# --- the clip polygon -------------------------------------------------------------------


@pytest.mark.slow
def test_clip_polygon_in_another_crs_is_reprojected(
    plugin, model_path, sample_scene, tmp_path, capsys
) -> None:
    clip_4326 = reproject_vector(SAMPLE_CLIP, tmp_path / "clip_4326.gpkg", 4326)
    assert features(clip_4326)[1] == "4326"
    counts = {}
    for name, clip in (("native", SAMPLE_CLIP), ("wgs84", clip_4326)):
        out = tmp_path / f"fronts_{name}.gpkg"
        results, _ = run_alg(
            "detect_fronts", {"INPUT": str(sample_scene), "CLIP": str(clip), "OUTPUT": str(out)}
        )
        counts[name], crs = features(Path(results["OUTPUT"].split("|")[0]))
        assert crs == "3413", "fronts must be in the scene's CRS"
        code, text = run_cli(
            "detect", sample_scene, tmp_path / f"cli_{name}.gpkg", "--clip", clip, capsys=capsys
        )
        assert code == 0, text
        assert features(tmp_path / f"cli_{name}.gpkg") == (counts[name], "3413")
    assert counts["wgs84"] == counts["native"]


def test_clip_polygon_that_misses_the_scene(
    plugin, model_path, sample_scene, tmp_path, capsys
) -> None:
    far = polygon_file(
        tmp_path / "far.gpkg", "POLYGON((500000 0, 510000 0, 510000 10000, 500000 0))", 3413
    )
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", sample_scene, out, "--clip", far, capsys=capsys)
    assert code == 2
    assert "does not overlap the scene" in text and "CRS" in text
    message, _ = run_alg(
        "detect_fronts", {"INPUT": str(sample_scene), "CLIP": str(far), "OUTPUT": str(out)}, True
    )
    assert "does not overlap the scene" in message
    assert_nothing_written(tmp_path, out.name)


# --- the model ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", ["Model file not found", "Reinstall the plugin"]),
        ("corrupt", ["not a valid ONNX file", "Reinstall the plugin"]),
        ("wrong_shape", ["input shape", "(batch, 3, height, width)", "Use the bundled model"]),
    ],
)
def test_bad_model_file(
    plugin, fresh_models, sample_scene, tmp_path, monkeypatch, capsys, case, expected
) -> None:
    model = tmp_path / "model.onnx"
    if case == "corrupt":
        model.write_bytes(np.random.default_rng(0).bytes(4096))
    elif case == "wrong_shape":
        write_model(model, WRONG_SHAPE_ONNX)
    monkeypatch.setenv("CALFIN_MODEL", str(model))
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", sample_scene, out, capsys=capsys)
    assert code == 2
    for words in expected:
        assert words in text, text
    message, _ = run_alg("detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(out)}, True)
    for words in expected:
        assert words in message, message
    assert_nothing_written(tmp_path, out.name)


def test_onnxruntime_missing(plugin, fresh_models, sample_scene, tmp_path, monkeypatch) -> None:
    from calfin_qgis import deps
    from calfin_qgis.core.errors import InputError
    from calfin_qgis.core.network import model as core_model

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    with pytest.raises(InputError, match="onnxruntime is missing.*pip install"):
        core_model._import_onnxruntime()
    monkeypatch.setattr(
        deps, "missing", lambda: [deps.Dependency("onnxruntime", "onnxruntime>=1.17,<2", "", None)]
    )
    out = tmp_path / "fronts.gpkg"
    message, _ = run_alg("detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(out)}, True)
    assert "onnxruntime" in message
    assert_nothing_written(tmp_path, out.name)


def test_cuda_unavailable_falls_back_to_cpu(
    plugin, fresh_models, model_path, sample_scene, tmp_path, capsys
) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("CUDA is available here; the fallback cannot be exercised")
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", sample_scene, out, "--device", "cuda", capsys=capsys)
    assert code == 0, text
    assert "CUDA was requested" in text and "running on CPU" in text
    out2 = tmp_path / "fronts_qgis.gpkg"
    results, recorder = run_alg(
        "detect_fronts", {"INPUT": str(sample_scene), "DEVICE": 2, "OUTPUT": str(out2)}
    )
    assert "CUDA was requested" in recorder.text("error", "warning")
    assert "CPUExecutionProvider" in recorder.text("info")
    assert Path(results["OUTPUT"].split("|")[0]).exists()


# --- the outputs ----------------------------------------------------------------------------


def test_output_folder_missing(plugin, model_path, sample_scene, tmp_path, capsys) -> None:
    out = tmp_path / "no_such_folder" / "fronts.gpkg"
    code, text = run_cli("detect", sample_scene, out, capsys=capsys)
    assert code == 2
    assert "does not exist" in text and "Create it or pick another path" in text
    message, _ = run_alg("detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(out)}, True)
    assert "does not exist" in message and "Create it or pick another path" in message
    assert not out.parent.exists()


def test_output_folder_not_writable(
    plugin, model_path, sample_scene, tmp_path, monkeypatch, capsys
) -> None:
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the folder read-only for the check
        real_access = os.access
        monkeypatch.setattr(
            os, "access", lambda p, m: False if Path(p) == folder else real_access(p, m)
        )
    try:
        code, text = run_cli("detect", sample_scene, folder / "fronts.gpkg", capsys=capsys)
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert "not writable" in text and "Pick a folder you can write to" in text
    assert list(folder.iterdir()) == []


def test_existing_output_is_not_overwritten(model_path, sample_scene, tmp_path, capsys) -> None:
    out = tmp_path / "fronts.gpkg"
    out.write_bytes(b"precious")
    code, text = run_cli("detect", sample_scene, out, capsys=capsys)
    assert code == 2
    assert "already exists" in text and "--overwrite" in text
    assert out.read_bytes() == b"precious"
    code, text = run_cli("detect", sample_scene, out, "--overwrite", capsys=capsys)
    assert code == 0, text
    assert "inference 100 %" in text  # the terminal sees progress
    assert features(out)[1] == "3413"
    assert leftovers(tmp_path) == []


def test_cli_exit_status_and_message_in_a_shell(model_path, tmp_path) -> None:
    """The same error through ``python -m calfin_qgis.core`` as a user types it."""
    result = subprocess.run(
        [sys.executable, "-m", "calfin_qgis.core", "detect", str(tmp_path / "x.tif"), "o.gpkg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert "error: Scene file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_with_no_matching_ids(plugin, tmp_path) -> None:
    reference = tmp_path / "reference.gpkg"
    gdal.VectorTranslate(
        str(reference),
        str(SAMPLE_FRONT),
        SQLStatement="SELECT *, 'other_scene' AS image_id2 FROM fronts",
        SQLDialect="SQLite",
    )
    detected = tmp_path / "detected.gpkg"
    gdal.VectorTranslate(str(detected), str(SAMPLE_FRONT))
    out = tmp_path / "metrics.gpkg"
    message, _ = run_alg(
        "evaluate_fronts",
        {
            "INPUT": str(detected),
            "REFERENCE": str(reference),
            "REFERENCE_ID_FIELD": "image_id2",
            "OUTPUT": str(out),
            "REPORT": str(tmp_path / "report.html"),
        },
        True,
    )
    assert "No image id of the detected fronts matches" in message
    assert "Check the id field" in message
    assert_nothing_written(tmp_path, out.name, "report.html")


def test_stub_model_runs_through_processing(
    plugin, fresh_models, sample_scene, tmp_path, monkeypatch
) -> None:
    """A model with the calfin contract but another name and version is accepted and logged."""
    monkeypatch.setenv("CALFIN_MODEL", str(write_model(tmp_path / "stub.onnx", STUB_EDGES_ONNX)))
    results, recorder = run_alg(
        "segment", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "p.tif")}
    )
    assert "stub_edges 0.0.1" in recorder.text("info")
    assert gdal.Open(results["OUTPUT"]).RasterCount == 2


# --- outputs that would destroy inputs, and half-written files ----------------------------


def test_output_that_is_an_input_is_refused(plugin, model_path, sample_scene, tmp_path) -> None:
    """Naming an input as an output (a slip in a batch table) must not replace the input."""
    scene_bytes = sample_scene.read_bytes()
    clip = Path(shutil.copy(SAMPLE_CLIP, tmp_path / "clip.gpkg"))
    clip_bytes = clip.read_bytes()
    cases = [
        ("detect_fronts", {"OUTPUT": str(tmp_path / "f.gpkg"), "PROBABILITIES": "INPUT"}),
        ("detect_fronts", {"CLIP": str(clip), "OUTPUT": str(clip)}),
        ("segment", {"OUTPUT": "INPUT"}),
        ("preprocess", {"OUTPUT": "INPUT"}),
    ]
    for alg, params in cases:
        params = {"INPUT": str(sample_scene), **params}
        params = {k: str(sample_scene) if v == "INPUT" else v for k, v in params.items()}
        message, _ = run_alg(alg, params, True)
        assert "would replace your input" in message and "Choose another output" in message
    detected = Path(shutil.copy(SAMPLE_FRONT, tmp_path / "detected.gpkg"))
    detected_bytes = detected.read_bytes()
    message, _ = run_alg(
        "evaluate_fronts",
        {"INPUT": str(detected), "REFERENCE": str(SAMPLE_FRONT), "OUTPUT": str(detected)},
        True,
    )
    assert "would replace your input" in message
    assert sample_scene.read_bytes() == scene_bytes
    assert clip.read_bytes() == clip_bytes and detected.read_bytes() == detected_bytes
    assert not (tmp_path / "f.gpkg").exists()


def test_output_that_is_a_folder(plugin, model_path, sample_scene, tmp_path, capsys) -> None:
    folder = tmp_path / "fronts.gpkg"
    folder.mkdir()
    message, _ = run_alg("detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(folder)}, True)
    assert "is a folder" in message and "Give a file name" in message
    code, text = run_cli("detect", sample_scene, folder, "--overwrite", capsys=capsys)
    assert code == 2 and "is a folder" in text
    assert list(folder.iterdir()) == []


def test_failed_fronts_leave_no_probabilities(
    plugin, model_path, sample_scene, tmp_path, monkeypatch
) -> None:
    """The probability raster reaches its name only once the fronts are written as well."""
    from calfin_qgis.processing import detect_fronts

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(detect_fronts, "write_fronts", fail)
    probabilities = tmp_path / "probs.tif"
    with pytest.raises(Exception, match="disk full"):
        run_alg(
            "detect_fronts",
            {
                "INPUT": str(sample_scene),
                "OUTPUT": str(tmp_path / "f.gpkg"),
                "PROBABILITIES": str(probabilities),
            },
        )
    assert_nothing_written(tmp_path, probabilities.name, "f.gpkg")


# --- inputs of the wrong kind ---------------------------------------------------------------


def test_line_layer_as_clip_is_refused(plugin, model_path, sample_scene, tmp_path, capsys) -> None:
    """The reference front given as CLIP would hand the answer to the network."""
    out = tmp_path / "fronts.gpkg"
    message, _ = run_alg(
        "detect_fronts",
        {"INPUT": str(sample_scene), "CLIP": str(SAMPLE_FRONT), "OUTPUT": str(out)},
        True,
    )
    assert "not polygons" in message and "polygon layer" in message
    code, text = run_cli("detect", sample_scene, out, "--clip", SAMPLE_FRONT, capsys=capsys)
    assert code == 2 and "not polygons" in text
    assert_nothing_written(tmp_path, out.name)


def test_clip_polygon_just_outside_the_scene(
    plugin, model_path, sample_scene, tmp_path, capsys
) -> None:
    """Within a tile's margin of the scene but not on it: still 'does not overlap'."""
    ds = gdal.Open(str(sample_scene))
    x0, dx, _, y0, _, dy = ds.GetGeoTransform()
    east = x0 + ds.RasterXSize * dx + 1000
    y1 = y0 + ds.RasterYSize * dy
    near = polygon_file(
        tmp_path / "near.gpkg",
        f"POLYGON(({east} {y0}, {east + 2000} {y0}, {east + 2000} {y1}, {east} {y0}))",
        3413,
    )
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", sample_scene, out, "--clip", near, capsys=capsys)
    assert code == 2 and "does not overlap the scene" in text
    assert_nothing_written(tmp_path, out.name)


def test_damaged_scene(plugin, model_path, sample_scene, tmp_path, capsys) -> None:
    damaged = tmp_path / "damaged.tif"
    damaged.write_bytes(sample_scene.read_bytes()[:5000])
    out = tmp_path / "fronts.gpkg"
    code, text = run_cli("detect", damaged, out, capsys=capsys)
    assert code == 2
    assert "damaged or incomplete" in text and "Download or export it again" in text
    message, _ = run_alg("detect_fronts", {"INPUT": str(damaged), "OUTPUT": str(out)}, True)
    assert "damaged or incomplete" in message and "Traceback" not in message
    assert_nothing_written(tmp_path, out.name)


def test_extract_refuses_model_input_and_mask_band(plugin, model_path, sample_scene, tmp_path):
    pre = tmp_path / "pre.tif"
    run_alg("preprocess", {"INPUT": str(sample_scene), "OUTPUT": str(pre)})
    probs = tmp_path / "probs.tif"
    run_alg("segment", {"INPUT": str(sample_scene), "OUTPUT": str(probs)})
    out = tmp_path / "fronts.gpkg"
    message, _ = run_alg("extract_fronts", {"INPUT": str(pre), "OUTPUT": str(out)}, True)
    assert "calfin:preprocess output" in message and "Run calfin:segment" in message
    message, _ = run_alg(
        "extract_fronts", {"INPUT": str(probs), "BAND": 2, "OUTPUT": str(out)}, True
    )
    assert "ice/ocean mask" in message and "choose band 1" in message
    assert not out.exists()


def test_evaluate_report_folder_missing_and_empty_reference(plugin, tmp_path) -> None:
    out = tmp_path / "metrics.csv"
    message, _ = run_alg(
        "evaluate_fronts",
        {
            "INPUT": str(SAMPLE_FRONT),
            "REFERENCE": str(SAMPLE_FRONT),
            "OUTPUT": str(out),
            "REPORT": str(tmp_path / "no_such_folder" / "report.html"),
        },
        True,
    )
    assert "does not exist" in message and "Create it or pick another path" in message
    empty = tmp_path / "empty.gpkg"
    gdal.VectorTranslate(str(empty), str(SAMPLE_FRONT), where="1 = 0")
    message, _ = run_alg(
        "evaluate_fronts",
        {"INPUT": str(SAMPLE_FRONT), "REFERENCE": str(empty), "OUTPUT": str(out)},
        True,
    )
    assert "holds no front lines" in message
    assert_nothing_written(tmp_path, out.name)


@pytest.mark.slow
def test_scene_with_a_grid_but_no_crs_is_flagged(plugin, model_path, tmp_path, capsys) -> None:
    """Outputs cannot carry a CRS the scene lacks: say so, and how to assign one."""
    scene = make_scene(tmp_path / "grid_only.tif", 300, 300)
    ds = gdal.Open(str(scene), gdal.GA_Update)
    ds.SetProjection("")
    ds = None
    code, text = run_cli("detect", scene, tmp_path / "fronts.gpkg", capsys=capsys)
    assert code == 0, text
    assert "no CRS" in text and "gdal_edit.py -a_srs" in text
    _, recorder = run_alg(
        "detect_fronts", {"INPUT": str(scene), "OUTPUT": str(tmp_path / "f2.gpkg")}
    )
    assert "no CRS" in recorder.text("warning")
    _, recorder = run_alg("preprocess", {"INPUT": str(scene), "OUTPUT": str(tmp_path / "p.tif")})
    assert "no CRS" in recorder.text("warning")


def test_raster_outputs_must_be_geotiff(plugin, model_path, sample_scene, tmp_path, capsys):
    for alg, params in (
        ("segment", {"OUTPUT": str(tmp_path / "probs.png")}),
        ("preprocess", {"OUTPUT": str(tmp_path / "pre.vrt")}),
        ("detect_fronts", {"OUTPUT": str(tmp_path / "f.gpkg"), "PROBABILITIES": "p.jpg"}),
    ):
        message, _ = run_alg(alg, {"INPUT": str(sample_scene), **params}, True)
        assert "GeoTIFF" in message and "Name the file with .tif" in message
    code, text = run_cli(
        "detect", sample_scene, tmp_path / "f.gpkg", "--probabilities", "p.png", capsys=capsys
    )
    assert code == 2 and "GeoTIFF" in text
    assert_nothing_written(tmp_path, "f.gpkg", "probs.png", "pre.vrt")


def test_csv_output_warns_that_the_lines_are_dropped(plugin, model_path, sample_scene, tmp_path):
    _, recorder = run_alg(
        "detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "fronts.csv")}
    )
    assert "attributes only" in recorder.text("warning")


# --- the command line, found by an adversarial run ----------------------------------------


def test_cli_never_overwrites_its_inputs(model_path, sample_scene, tmp_path, capsys) -> None:
    clip = Path(shutil.copy(SAMPLE_CLIP, tmp_path / "clip.gpkg"))
    before = sample_scene.read_bytes(), clip.read_bytes()
    for args in (
        (sample_scene, tmp_path / "f.gpkg", "--probabilities", sample_scene),
        (sample_scene, clip, "--clip", clip),
    ):
        code, text = run_cli("detect", *args, "--overwrite", capsys=capsys)
        assert code == 2 and "would replace your input" in text, text
    assert (sample_scene.read_bytes(), clip.read_bytes()) == before


def test_cli_refuses_bad_values_and_formats_before_any_work(
    model_path, sample_scene, tmp_path, capsys
) -> None:
    out = tmp_path / "f.gpkg"
    for option in (["--max-fronts", "-1"], ["--threshold", "2"], ["--min-contrast", "5"]):
        with pytest.raises(SystemExit) as exit_info:
            commands.main(["detect", str(sample_scene), str(out), *option])
        assert exit_info.value.code == 2
        assert "must be at least" in capsys.readouterr().err
    for args, words in (
        ((out, "--flow", "inf"), "not understood"),
        ((tmp_path / "f.shp", "--probabilities", tmp_path / "p.tif"), "Name the file .gpkg"),
        ((out, "--clip", tmp_path / "nothing.shp"), "Clip polygon file not found"),
        ((out, "--clip", sample_scene), "Cannot read clip polygons"),
        ((out, "--model", tmp_path / "none.onnx"), "leave it out to use the bundled model"),
    ):
        code, text = run_cli("detect", sample_scene, *args, capsys=capsys)
        assert code == 2 and words in text and "Traceback" not in text, text
    assert sorted(p.name for p in tmp_path.iterdir()) == [sample_scene.name]
