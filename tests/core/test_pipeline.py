"""Reading a GeoTIFF, predicting block by block, extracting and writing, georeferenced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from calfin_qgis.core import schema
from calfin_qgis.core.detect.grid import model_grid, scene_warnings
from calfin_qgis.core.detect.picking import extract
from calfin_qgis.core.detect.segmentation import DetectOptions, front_records, segment
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.geo import rasters, vectors
from calfin_qgis.core.products import sources

from .fakes import dark_is_edge, fake_model

ORIGIN = (500000.0, 7700000.0)
PIXEL = 30.0


def write_scene(path: Path, epsg: int = 32624, nodata: int | None = 0) -> Path:
    """A bright 300×260 uint16 scene with a dark horizontal front at row 120, cols 40..219."""
    data = np.full((300, 260), 4000, dtype=np.uint16)
    data += np.random.default_rng(0).integers(0, 50, data.shape, dtype=np.uint16)
    data[120, 40:220] = 300
    data[:, :10] = 0  # nodata border, like a Landsat scene edge
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 260, 300, 1, gdal.GDT_UInt16)
    ds.SetGeoTransform((ORIGIN[0], PIXEL, 0, ORIGIN[1], 0, -PIXEL))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    if nodata is not None:
        ds.GetRasterBand(1).SetNoDataValue(nodata)
    ds.GetRasterBand(1).WriteArray(data)
    ds = None
    return path


def test_front_vertices_in_scene_crs_metres(tmp_path: Path) -> None:
    scene = rasters.open_scene(
        write_scene(tmp_path / "LC08_L1TP_232013_20180606_20180615_01_T1.tif")
    )
    model = fake_model(dark_is_edge, tile=64)
    options = DetectOptions(block=128, overlap=16, max_fronts=1)
    result = segment(model, scene, options)
    assert np.isnan(result.probs[:, :, :10]).all()  # nodata stays nodata
    (front,) = extract(result, options, result.timer)
    xs, ys = np.array(front.line.coords).T
    np.testing.assert_allclose(ys, ORIGIN[1] - 120.5 * PIXEL)
    assert xs.min() == pytest.approx(ORIGIN[0] + 40.5 * PIXEL)
    assert xs.max() == pytest.approx(ORIGIN[0] + 219.5 * PIXEL)
    assert front.length_m == pytest.approx(179 * PIXEL)

    out = tmp_path / "fronts.gpkg"
    metadata = sources.scene_metadata(scene.path)
    records = front_records([front], scene, metadata, "fake 0", "helheim")
    vectors.write_fronts(out, records, schema.FRONT_FIELDS, scene.crs_wkt)
    ds = ogr.Open(str(out))  # keep the datasource alive while its layer is used
    layer = ds.GetLayer(0)
    assert layer.GetSpatialRef().GetAuthorityCode(None) == "32624"
    feature = layer.GetNextFeature()
    assert feature["image_id"] == "LC08_L1TP_232013_20180606_20180615_01_T1"
    assert feature["date"] == "2018/06/06"
    assert feature["qual_flag"] == schema.QUAL_AUTO
    assert feature["glacier_id"] == "helheim"
    assert feature["length_m"] == pytest.approx(5370.0)


def test_clip_window_limits_processing_and_drops_fronts_outside(tmp_path: Path) -> None:
    from shapely.geometry import box

    scene = rasters.open_scene(write_scene(tmp_path / "scene.tif"))
    model = fake_model(dark_is_edge, tile=64)
    # A search area over the left half of the front only: the right half must be dropped.
    area = box(
        ORIGIN[0] + 30 * PIXEL,
        ORIGIN[1] - 160 * PIXEL,
        ORIGIN[0] + 130 * PIXEL,
        ORIGIN[1] - 80 * PIXEL,
    )
    options = DetectOptions(clip=area, overlap=16)
    result = segment(model, scene, options)
    assert result.window.width < scene.width and result.window.height < scene.height
    (front,) = extract(result, options, result.timer)
    xs, _ = np.array(front.line.coords).T
    assert xs.max() <= ORIGIN[0] + 130 * PIXEL


def test_png_without_georeference_works_in_pixels(tmp_path: Path) -> None:
    data = np.full((90, 120), 200, dtype=np.uint8)
    data[40, 10:110] = 10
    path = tmp_path / "plain.png"
    gdal.GetDriverByName("PNG").CreateCopy(str(path), gdal.Open(gdal_array_path(data)))
    scene = rasters.open_scene(path)
    assert not scene.georeferenced and scene.crs_wkt == ""
    result = segment(fake_model(dark_is_edge, tile=64), scene, DetectOptions(overlap=16))
    (front,) = extract(result, DetectOptions(), result.timer)
    _, ys = np.array(front.line.coords).T
    np.testing.assert_allclose(ys, -40.5)  # x = column, y = -row


def gdal_array_path(data: np.ndarray) -> str:
    path = f"/vsimem/{id(data)}.tif"
    ds = gdal.GetDriverByName("GTiff").Create(path, data.shape[1], data.shape[0], 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(data)
    ds = None
    return path


def test_write_raster_keeps_grid_and_never_overwrites_silently(tmp_path: Path) -> None:
    out = tmp_path / "probs.tif"
    gt = (ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32624)
    data = np.random.default_rng(0).random((2, 20, 30)).astype(np.float32)
    rasters.write_raster(out, data, gt, srs.ExportToWkt(), ("edge", "mask"))
    ds = gdal.Open(str(out))
    assert ds.GetGeoTransform() == gt
    assert osr.SpatialReference(wkt=ds.GetProjection()).GetAuthorityCode(None) == "32624"
    np.testing.assert_array_equal(ds.ReadAsArray(), data)
    with pytest.raises(InputError, match="already exists"):
        rasters.write_raster(out, data, gt, "", ("edge", "mask"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probs.tif"]


def write_fine_scene(path: Path, pixel: float) -> Path:
    """A bright scene with a dark front 60 m wide, 1800 m below the top, on ``pixel`` m."""
    rows, cols = int(4500 / pixel), int(3900 / pixel)
    data = np.full((rows, cols), 4000, dtype=np.uint16)
    data[int(1800 / pixel) : int(1860 / pixel), int(600 / pixel) : int(3300 / pixel)] = 300
    ds = gdal.GetDriverByName("GTiff").Create(str(path), cols, rows, 1, gdal.GDT_UInt16)
    ds.SetGeoTransform((ORIGIN[0], pixel, 0, ORIGIN[1], 0, -pixel))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32624)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(data)
    ds = None
    return path


def test_fine_scene_is_averaged_to_the_model_pixel_size(tmp_path: Path) -> None:
    name = "LC08_L1TP_232013_20180606_20180615_01_T1_B8.tif"
    scene = rasters.open_scene(write_fine_scene(tmp_path / name, 15.0))
    model = fake_model(dark_is_edge, tile=64)
    options = DetectOptions(overlap=16, max_fronts=1)
    result = segment(model, scene, options)
    assert result.scene.pixel_size == pytest.approx(model.info.pixel_size_m) == 40.0
    assert result.scene.crs_wkt == scene.crs_wkt
    assert result.geotransform[0] == ORIGIN[0] and result.geotransform[3] == ORIGIN[1]
    assert result.probs.shape[1:] == (112, 97)  # whole 40 m pixels in 4500 m x 3900 m
    (front,) = extract(result, options, result.timer)
    _, ys = np.array(front.line.coords).T
    assert np.abs(ys - (ORIGIN[1] - 1830)).max() <= 40  # within a model pixel of the front

    kept = segment(model, scene, DetectOptions(overlap=16, resample=False))
    assert kept.scene is scene and kept.probs.shape[1:] == (300, 260)


def test_model_grid_keeps_scenes_at_the_training_scale(tmp_path: Path) -> None:
    coarse = rasters.open_scene(write_fine_scene(tmp_path / "l7_30m.tif", 30.0))
    assert model_grid(coarse, 40.0) is coarse
    data = np.full((60, 80), 200, dtype=np.uint8)
    plain = tmp_path / "plain.png"  # pixel units: nothing to compare with metres
    gdal.GetDriverByName("PNG").CreateCopy(str(plain), gdal.Open(gdal_array_path(data)))
    scene = rasters.open_scene(plain)
    assert model_grid(scene, 40.0) is scene


def test_preprocess_of_a_fine_scene_is_on_the_model_grid(tmp_path: Path) -> None:
    from calfin_qgis.core.detect.segmentation import preprocess_scene

    fine = sources.open_source(str(write_fine_scene(tmp_path / "LC08_B8.tif", 15.0)))
    preprocess_scene(fine, str(tmp_path / "input.tif"))
    written = rasters.open_scene(tmp_path / "input.tif")
    assert written.preprocessed and written.pixel_size == pytest.approx(40.0)
    assert sources.open_source(written.path).name == "LC08_B8.tif"  # it remembers its scene
    assert model_grid(written, 40.0) is written  # segment takes it as it is


def test_a_scene_smaller_than_one_model_pixel_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 2, 2, 1, gdal.GDT_UInt16)
    ds.SetGeoTransform((ORIGIN[0], 15.0, 0, ORIGIN[1], 0, -15.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32624)
    ds.SetProjection(srs.ExportToWkt())
    ds = None
    with pytest.raises(InputError, match="less than one 40 m model pixel"):
        model_grid(rasters.open_scene(path), 40.0)


@pytest.mark.parametrize("flow", [None, "up", "left"])
def test_progress_rises_to_the_end_over_one_or_two_passes(tmp_path: Path, flow) -> None:
    """With the flow unknown a second, turned pass may follow: the bar never runs back."""
    scene = rasters.open_scene(write_scene(tmp_path / "scene.tif"))
    seen: list[float] = []
    segment(
        fake_model(dark_is_edge, tile=64),
        scene,
        DetectOptions(flow=flow, block=128, overlap=16),
        progress=seen.append,
    )
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)


def regrid(path: Path, geotransform: tuple, epsg: int = 32624) -> Path:
    """Give a scene file another grid (and CRS) in place."""
    ds = gdal.Open(str(path), gdal.GA_Update)
    ds.SetGeoTransform(geotransform)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    ds = None
    return path


def test_south_up_and_non_square_fine_scenes_are_averaged(tmp_path: Path) -> None:
    """South-up grids (positive y pixel size) and 40 x 10 m pixels are averaged too."""
    south_up = regrid(write_fine_scene(tmp_path / "s.tif", 15.0), (ORIGIN[0], 15, 0, 0, 0, 15))
    averaged = model_grid(rasters.open_scene(south_up), 40.0)
    assert averaged.geotransform == (ORIGIN[0], 40, 0, 0, 0, 40)
    assert (averaged.width, averaged.height) == (97, 112)
    values, _ = averaged.read()
    assert values[45, 20:80].mean() < 2000 < values[:40].mean()  # the front at 1800-1860 m
    thin = regrid(write_fine_scene(tmp_path / "t.tif", 10.0), (ORIGIN[0], 40, 0, ORIGIN[1], 0, -10))
    assert model_grid(rasters.open_scene(thin), 40.0).geotransform[1:] == (40, 0, ORIGIN[1], 0, -40)


def test_scenes_the_pipeline_cannot_average_get_a_warning(tmp_path: Path) -> None:
    model = fake_model(dark_is_edge, tile=64)
    turned = (ORIGIN[0], 13, 7.5, ORIGIN[1], 7.5, -13)  # 15 m pixels, 30 degrees
    rotated = regrid(write_fine_scene(tmp_path / "r.tif", 15.0), turned)
    scene = rasters.open_scene(rotated)
    assert model_grid(scene, 40.0) is scene
    (warning,) = scene_warnings(scene, model.info.pixel_size_m, resample=True)
    assert "rotated" in warning and "gdalwarp" in warning
    assert scene_warnings(scene, model.info.pixel_size_m, resample=False) == []
    degrees = (-50, 1e-4, 0, 69, 0, -1e-4)
    geographic = regrid(write_fine_scene(tmp_path / "g.tif", 15.0), degrees, 4326)
    (warning,) = scene_warnings(rasters.open_scene(geographic), 40.0, resample=True)
    assert "not projected in metres" in warning and "gdalwarp -t_srs" in warning
    metric = rasters.open_scene(write_fine_scene(tmp_path / "m.tif", 30.0))
    assert scene_warnings(metric, 40.0, resample=True) == []


def test_averaging_is_reported_with_both_pixel_edges(tmp_path: Path) -> None:
    from calfin_qgis.core.detect.grid import averaging_text

    thin = regrid(write_fine_scene(tmp_path / "t.tif", 10.0), (ORIGIN[0], 40, 0, ORIGIN[1], 0, -10))
    scene = rasters.open_scene(thin)
    text = averaging_text(scene, model_grid(scene, 40.0))
    assert text.startswith("Scene pixels averaged from 40 x 10 m to 40 m")
    assert averaging_text(scene, scene) is None


def test_preprocess_cancelled_after_its_last_block_writes_nothing(tmp_path: Path) -> None:
    from calfin_qgis.core.detect.segmentation import preprocess_scene
    from calfin_qgis.core.errors import Cancelled

    scene = sources.open_source(str(write_scene(tmp_path / "scene.tif")))
    cancel = []
    with pytest.raises(Cancelled):
        preprocess_scene(
            scene, str(tmp_path / "pre.tif"), progress=cancel.append, cancelled=lambda: bool(cancel)
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.tif"]
