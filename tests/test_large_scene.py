"""A Landsat-size scene (8,000 x 8,000 px, uint16, nodata borders): clip window, bounded
memory block by block, progress and cancel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from osgeo import gdal, ogr, osr

from tests.scenes import STUB_EDGES_ONNX, UTM_22N, leftovers, make_scene, write_model

gdal.UseExceptions()
ogr.UseExceptions()

ROOT = Path(__file__).resolve().parent.parent
FULL = 8000
PIXEL = 30.0
ORIGIN = (500_000.0, 7_700_000.0)
MAX_RSS_MB = 2048


@pytest.fixture(scope="module")
def big_scene(tmp_path_factory) -> Path:
    """8,000 x 8,000 uint16 GeoTIFF in UTM 22N, written strip by strip (~4 s)."""
    folder = tmp_path_factory.mktemp("large")
    return make_scene(folder / "LC08_L1TP_008011_20200712_20200722_01_T1_B5.tif", FULL, FULL)


@pytest.fixture()
def fresh_models():
    from calfin_qgis.core.detect.jobs import cached_model

    cached_model.cache_clear()
    yield
    cached_model.cache_clear()


def fjord_polygon(path: Path, col0: int, row0: int, size: int) -> Path:
    """A square search area (scene CRS) of ``size`` px at pixel (col0, row0)."""
    x0, y0 = ORIGIN[0] + col0 * PIXEL, ORIGIN[1] - row0 * PIXEL
    x1, y1 = x0 + size * PIXEL, y0 - size * PIXEL
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(UTM_22N)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("fjord", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    ring = f"{x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}"
    feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({ring}))"))
    layer.CreateFeature(feature)
    ds = None
    return path


@pytest.mark.slow
def test_full_scene_through_clip_window(plugin, model_path, big_scene, tmp_path) -> None:
    """Only the fjord window (plus a margin) of the 8,000² scene is read and inferred."""
    import processing

    # the synthetic front runs near row 3,530 here (tests/scenes.py front_row)
    clip = fjord_polygon(tmp_path / "fjord.gpkg", 3700, 3250, 600)
    out = tmp_path / "fronts.gpkg"
    probs = tmp_path / "probs.tif"
    results = processing.run(
        "calfin:detect_fronts",
        {
            "INPUT": str(big_scene),
            "CLIP": str(clip),
            "OUTPUT": str(out),
            "PROBABILITIES": str(probs),
        },
    )
    ds = gdal.Open(results["PROBABILITIES"])
    assert ds.RasterXSize < 1000 and ds.RasterYSize < 1000, "only the window is processed"
    assert osr.SpatialReference(wkt=ds.GetProjection()).GetAuthorityCode(None) == str(UTM_22N)
    vector = ogr.Open(results["OUTPUT"].split("|")[0])
    layer = vector.GetLayer(0)
    assert layer.GetSpatialRef().GetAuthorityCode(None) == str(UTM_22N)
    minx, maxx, miny, maxy = layer.GetExtent() if layer.GetFeatureCount() else (0, 0, 0, 0)
    if layer.GetFeatureCount():
        assert ORIGIN[0] + 3700 * PIXEL - 1 <= minx <= maxx <= ORIGIN[0] + 4300 * PIXEL + 1
    assert leftovers(tmp_path) == []


_MEASURE = """
import json, re, sys, time
from pathlib import Path
from calfin_qgis.core.cli.commands import main
start = time.perf_counter()
code = main(sys.argv[1:])
peak_kb = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(json.dumps({"code": code, "seconds": time.perf_counter() - start,
                  "max_rss_mb": int(peak_kb) / 1024}))
"""
"""Peak RSS of this process's own memory (VmHWM): getrusage's ru_maxrss would also count the
parent's resident memory at fork, which Linux carries across exec (a full test run's pytest
process holds 2 GB, and the child reported it as its own)."""


@pytest.mark.slow
def test_full_scene_memory_stays_bounded(big_scene, tmp_path) -> None:
    """The whole 8,000² scene, block by block, with a probability raster: peak RSS < 2 GB.

    A stub ONNX model (a Sobel filter with the calfin contract, tests/scenes.py) keeps this
    to ~30 s; the real network adds its activations (a few hundred MB at batch size 4, see
    ``make bench`` for the figure with the real model).
    """
    model = write_model(tmp_path / "stub.onnx", STUB_EDGES_ONNX)
    out, probs = tmp_path / "fronts.gpkg", tmp_path / "probs.tif"
    args = [big_scene, out, "--probabilities", probs, "--model", model, "--max-fronts", "0"]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, "detect", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["code"] == 0, result.stderr
    assert figures["max_rss_mb"] < MAX_RSS_MB, figures
    ds = gdal.Open(str(probs))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (FULL, FULL, 2)
    vector = ogr.Open(str(out))
    assert vector.GetLayer(0).GetFeatureCount() >= 1
    assert leftovers(tmp_path) == []


def test_cancel_segment_stops_quickly_and_leaves_nothing(
    plugin, fresh_models, model_path, tmp_path
) -> None:
    """Cancel at the first progress report: segment stops within one batch of tiles."""
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    scene = make_scene(tmp_path / "scene.tif", 2000, 2000)
    out = tmp_path / "probs.tif"
    feedback = QgsProcessingFeedback()
    reports: list[float] = []

    def on_progress(value: float) -> None:
        reports.append(value)
        feedback.cancel()

    feedback.progressChanged.connect(on_progress)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        processing.run(
            "calfin:segment", {"INPUT": str(scene), "OUTPUT": str(out)}, feedback=feedback
        )
    assert reports, "segment reported no progress"
    assert 0 < reports[0] < 100
    # it stops at the next batch check: progress never gets far past the first report
    assert reports[-1] < 10, reports
    assert not out.exists()
    assert leftovers(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("probs")] == []


def test_region_wise_extraction_matches_whole_array() -> None:
    """Large windows are extracted one region at a time (bounded memory), same fronts."""
    import numpy as np

    from calfin_qgis.core.detect.extract import extract_fronts
    from calfin_qgis.core.detect.picking import extract_by_region
    from calfin_qgis.core.detect.segmentation import DetectOptions

    edge = np.zeros((300, 400), dtype=np.float32)
    rows = np.arange(400)
    for offset, (c0, c1) in ((60, (10, 390)), (150, (50, 200)), (250, (120, 170))):
        r = (offset + 8 * np.sin(rows / 25)).astype(int)
        for width in range(3):
            edge[r[c0:c1] + width, rows[c0:c1]] = 0.9
    edge[200:203, 300:304] = 0.8  # a blob shorter than the minimum length
    edge[5, :] = np.nan
    gt = (500_000.0, 30.0, 0.0, 7_700_000.0, 0.0, -30.0)
    options = DetectOptions()
    whole = extract_fronts(
        np.nan_to_num(edge),
        gt,
        threshold=options.threshold,
        min_length_px=options.min_length_px,
        simplify_px=options.simplify_px,
    )
    regions = extract_by_region(edge, gt, options)
    assert [f.line.wkt for f in regions] == [f.line.wkt for f in whole]
    assert [f.confidence for f in regions] == [f.confidence for f in whole]
    for a, b in zip(regions, whole, strict=True):
        np.testing.assert_array_equal(a.pixels, b.pixels)
    assert len(regions) == 3  # the three curves; the blob is below the minimum length


def test_nodata_tiles_are_skipped_without_changing_valid_pixels(tmp_path) -> None:
    import numpy as np

    from calfin_qgis.core.network.infer import predict_array
    from calfin_qgis.core.network.model import load_model

    model, _ = load_model(write_model(tmp_path / "stub.onnx", STUB_EDGES_ONNX))
    runs: list[int] = []
    run = model.run
    model.run = lambda batch: runs.append(len(batch)) or run(batch)
    rng = np.random.default_rng(1)
    x = rng.random((3, 700, 900), dtype=np.float32)
    valid = np.zeros((700, 900), dtype=bool)
    valid[:300, :400] = True  # a corner of valid data, the rest nodata
    x[:, ~valid] = 0.0
    ticks: list[int] = []
    skipping = predict_array(model, x, 256, 64, valid=valid, on_tile=lambda: ticks.append(1))
    skipped_runs, runs[:] = sum(runs), []
    full = predict_array(model, x, 256, 64)
    assert skipped_runs < sum(runs)
    assert len(ticks) == sum(runs), "progress still counts every tile"
    np.testing.assert_array_equal(skipping[:, valid], full[:, valid])
