"""Inputs that are not a satellite band are flagged: a real colour photograph saved as JPEG
(skimage's astronaut), against the real sample scene and FrontLearning PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from osgeo import gdal

from calfin_qgis.core.cli import commands
from calfin_qgis.core.detect import sanity
from calfin_qgis.core.detect.segmentation import DetectOptions, segment
from calfin_qgis.core.geo import rasters
from calfin_qgis.core.network.model import load_model
from tests.conftest import DATA, SAMPLE_SCENE

FRONTLEARNING_PNG = (
    DATA / "frontlearning" / "images" / "LE07_L1TP_010011_20000913_20170210_01_T1_B2_Subset.png"
)


def write_jpeg(path: Path, image: np.ndarray) -> Path:
    """``image`` (rows, cols[, channels]) as a JPEG file, as a camera or a browser saves it."""
    image = image if image.ndim == 3 else image[..., None]
    mem = gdal.GetDriverByName("MEM").Create("", image.shape[1], image.shape[0], image.shape[2])
    for i in range(image.shape[2]):
        mem.GetRasterBand(i + 1).WriteArray(image[..., i])
    gdal.GetDriverByName("JPEG").CreateCopy(str(path), mem)
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    return write_jpeg(tmp_path_factory.mktemp("photo") / "astronaut.jpg", skimage.data.astronaut())


def test_a_colour_photograph_gets_both_input_warnings(photo) -> None:
    colour, fmt = sanity.input_warnings(rasters.open_scene(photo))
    assert "astronaut.jpg is a colour image" in colour and "only band 1 is read" in colour
    assert "JPEG image without georeference" in fmt
    for warning in (colour, fmt):
        assert "Landsat or Sentinel-2" in warning and "qual_flag 13" in warning


def test_a_grey_jpeg_is_a_photo_format_but_not_a_colour_image(tmp_path) -> None:
    grey = write_jpeg(tmp_path / "camera.jpg", skimage.data.camera())
    (warning,) = sanity.input_warnings(rasters.open_scene(grey))
    assert "JPEG image without georeference" in warning


def test_satellite_bands_get_no_input_warning() -> None:
    """The FrontLearning PNGs are RGBA with three equal grey channels: one band, not colour."""
    ds = gdal.Open(str(FRONTLEARNING_PNG))
    assert ds.RasterCount == 4
    assert ds.GetRasterBand(1).GetColorInterpretation() == gdal.GCI_RedBand
    assert sanity.input_warnings(rasters.open_scene(FRONTLEARNING_PNG)) == []
    assert sanity.input_warnings(rasters.open_scene(SAMPLE_SCENE)) == []


def test_mask_without_one_ice_and_one_ocean_side_is_flagged() -> None:
    rows = np.linspace(0.0, 1.0, 200)[:, None] * np.ones((1, 300))
    assert sanity.mask_warning(np.where(rows > 0.5, 0.98, 0.02)) is None  # ice above ocean
    yy, xx = np.mgrid[:200, :300]
    patches = np.where((yy % 25 < 15) & (xx % 25 < 15), 0.9, 0.1)  # ice in 96 pieces
    warning = sanity.mask_warning(patches)
    assert "does not split the scene into an ice side and an ocean side" in warning
    assert sanity.mask_warning(np.full((200, 300), 0.5)) is not None  # never sure


def test_real_scenes_pass_the_mask_check(model_path) -> None:
    model, _ = load_model(str(model_path))
    for path in (SAMPLE_SCENE, FRONTLEARNING_PNG):
        result = segment(model, rasters.open_scene(path), DetectOptions())
        assert not result.suspect and result.warnings == [], path.name


@pytest.mark.slow
def test_fronts_of_a_photograph_are_never_flagged_good(model_path, photo, tmp_path, capsys):
    """The issue's case: a colour photo gave five "fronts", two of them qual_flag 10."""
    out = tmp_path / "fronts.geojson"
    assert commands.main(["detect", str(photo), str(out), "--model", str(model_path)]) == 0
    printed = capsys.readouterr().err
    assert "is a colour image" in printed and "JPEG image without georeference" in printed
    assert "does not split the scene into an ice side and an ocean side" in printed
    features = json.loads(out.read_text())["features"]
    assert features, "the model finds 'fronts' in the photo; they must be flagged"
    assert {f["properties"]["qual_flag"] for f in features} == {13}
    assert max(f["properties"]["confidence"] for f in features) >= 0.5  # would have been 10
