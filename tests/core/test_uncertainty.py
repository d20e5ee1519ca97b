"""The uncertainty of a front and the test-time views: exact values on synthetic input."""

from __future__ import annotations

import numpy as np
import pytest

from calfin_qgis.core.detect.uncertainty import CALIBRATIONS, across, evidence, uncertainty
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.network.views import VIEWS, check_views, predict_views, transforms

from .fakes import fake_model

GRID_40M = (0.0, 40.0, 0.0, 0.0, 0.0, -40.0)


def front_scene(sharp: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A straight front along row 50 of a 100 x 120 window: (path pixels, edge, spread).

    Sharp: a strong 3-px edge ridge, every prediction agreeing. Ambiguous: a weak, smeared
    ridge, and predictions that split over where the ice ends, 12 rows apart.
    """
    cols = np.arange(20, 100)
    pixels = np.column_stack([np.full(cols.size, 50), cols]).astype(np.float64)
    edge = np.zeros((100, 120), np.float32)
    spread = np.zeros_like(edge)
    if sharp:
        edge[49:52, 20:100] = 0.95
    else:
        edge[44:57, 20:100] = 0.35
        spread[44:56, 20:100] = 0.5  # half the predictions call these rows ice
    return pixels, edge, spread


def test_an_ambiguous_front_is_less_certain_than_a_clean_one() -> None:
    clean = uncertainty(*front_scene(sharp=True), GRID_40M, views=2)
    ambiguous = uncertainty(*front_scene(sharp=False), GRID_40M, views=2)
    assert 0 < clean < ambiguous
    assert ambiguous > 3 * clean  # not a rounding difference


def test_the_spread_summed_across_a_front_is_the_distance_between_predictions() -> None:
    """Two predictions whose ice edges lie 12 px apart: 2F(1-F) = 0.5 over 12 rows sums
    to 6 px, the mean absolute difference over all pairs (including each with itself)."""
    pixels, _, spread = front_scene(sharp=False)
    assert across(pixels[10:-10], spread) == pytest.approx(6.0, abs=0.01)
    assert evidence(pixels, *front_scene(sharp=False)[1:]).spread_px == pytest.approx(6.0, 0.01)


@pytest.mark.parametrize("views", VIEWS)
def test_uncertainty_is_in_map_units_and_positive(views) -> None:
    pixels, edge, spread = front_scene(sharp=True)
    in_pixels = uncertainty(pixels, edge, spread, (0, 1, 0, 0, 0, -1), views)
    assert uncertainty(pixels, edge, spread, GRID_40M, views) == pytest.approx(40 * in_pixels)
    assert in_pixels > 0
    assert set(CALIBRATIONS) == set(VIEWS)


@pytest.mark.parametrize(("views", "count"), [(1, 1), (2, 2), (8, 8), ("8", 8), (2.0, 2)])
def test_views_take_1_2_or_8(views, count) -> None:
    assert len(transforms(check_views(views))) == count
    assert len(set(transforms(check_views(views)))) == count


@pytest.mark.parametrize("views", [0, 3, 4, 16, 2.5, "two", None, True])
def test_other_views_are_refused_with_the_choices(views) -> None:
    with pytest.raises(InputError, match="Views must be 1, 2 or 8.*1 = as it is"):
        check_views(views)


def test_views_average_back_on_the_tile_grid() -> None:
    """A model that echoes its input gives the input back whatever the views: each view
    is turned back before the average, so nothing disagrees."""
    model = fake_model(lambda b: b[:, :2])
    batch = np.random.default_rng(0).random((3, 3, 32, 32), dtype=np.float32)
    for views in VIEWS:
        probs, spread = predict_views(model, batch, views)
        np.testing.assert_allclose(probs, batch[:, :2], atol=1e-6)
        assert not spread.any()


def test_views_that_disagree_give_a_spread() -> None:
    """A model that calls the left half of whatever it sees ice: the mirrored view calls
    the right half ice, so with 2 views every pixel is split evenly (spread 0.5)."""

    def left_is_ice(batch):
        ice = np.zeros((batch.shape[0], *batch.shape[2:]), np.float32)
        ice[..., : batch.shape[-1] // 2] = 1.0
        return np.stack([np.zeros_like(ice), ice], axis=1)

    batch = np.zeros((1, 3, 16, 16), np.float32)
    _, one = predict_views(fake_model(left_is_ice), batch, 1)
    probs, two = predict_views(fake_model(left_is_ice), batch, 2)
    assert not one.any()
    np.testing.assert_allclose(two, 0.5)
    np.testing.assert_allclose(probs[:, 1], 0.5)


def test_the_shipped_model_gives_its_members(model_path) -> None:
    from calfin_qgis.core.network.model import load_model

    model, _ = load_model(model_path, "cpu")
    assert model.info.members == 2
    x = np.random.default_rng(0).random((2, 3, 64, 64), dtype=np.float32)
    members = model.run_members(x)
    assert members.shape == (2, 2, 2, 64, 64)
    np.testing.assert_allclose(members.mean(axis=0), model.run(x), atol=1e-6)


def test_the_model_is_less_sure_of_a_washed_out_scene(model_path, tmp_path) -> None:
    """The sample scene as it is, and washed out (15 % of its contrast, noise as strong as
    what is left): through the real model, the washed-out scene's fronts are far less sure."""
    from osgeo import gdal

    from calfin_qgis.core.detect.jobs import DetectJob, run
    from calfin_qgis.core.detect.segmentation import DetectOptions
    from tests.conftest import SAMPLE_SCENE

    scene = gdal.Open(str(SAMPLE_SCENE))
    values = scene.GetRasterBand(1).ReadAsArray().astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 0.15 * values.std(), values.shape)
    washed = values.mean() + 0.15 * (values - values.mean()) + noise
    copy = gdal.GetDriverByName("GTiff").CreateCopy(str(tmp_path / "washed.tif"), scene)
    copy.GetRasterBand(1).WriteArray(np.clip(washed, 0, 255).astype(np.uint8))
    copy = None

    def uncertainties(path) -> list[float]:
        result = run(DetectJob(str(path), DetectOptions(flow="up")))
        return [record["uncertainty_m"] for record in result.records]

    clean, ambiguous = uncertainties(SAMPLE_SCENE), uncertainties(tmp_path / "washed.tif")
    assert clean and ambiguous
    assert max(clean) < 100 < 5 * max(clean) < min(ambiguous)
