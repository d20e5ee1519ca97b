"""Tiling, blending, orientation and block-wise prediction, with exact expected values."""

from __future__ import annotations

import numpy as np
import pytest

from calfin_qgis.core.errors import Cancelled, InputError
from calfin_qgis.core.geo.rasters import Window
from calfin_qgis.core.network.infer import (
    blocks,
    estimate_flow,
    flow_turns,
    predict_array,
    tile_starts,
    tile_weights,
)

from .fakes import constant, fake_model


def test_blending_a_constant_output_is_exactly_constant() -> None:
    model = fake_model(constant(0.37), tile=64)
    x = np.random.default_rng(0).random((3, 150, 211), dtype=np.float32)
    probs = predict_array(model, x, tile=64, overlap=24)
    assert probs.shape == (2, 150, 211)
    np.testing.assert_allclose(probs, 0.37, rtol=0, atol=1e-6)


def test_blending_is_seamless_for_a_position_dependent_output() -> None:
    """A model that copies its input back must reproduce the input through the tiling."""
    model = fake_model(lambda b: b[:, :2], tile=64)
    x = np.random.default_rng(1).random((3, 130, 97), dtype=np.float32)
    probs = predict_array(model, x, tile=64, overlap=16, batch_size=3)
    np.testing.assert_allclose(probs, x[:2], atol=1e-5)


def test_scene_smaller_than_a_tile_is_padded() -> None:
    model = fake_model(lambda b: b[:, :2], tile=64)
    x = np.random.default_rng(2).random((3, 30, 20), dtype=np.float32)
    np.testing.assert_allclose(predict_array(model, x, 64, 16), x[:2], atol=1e-6)


def test_tile_starts_cover_the_length_flush() -> None:
    assert tile_starts(256, 256, 192) == [0]
    assert tile_starts(500, 256, 192) == [0, 192, 244]


def test_tile_weights_are_positive_and_symmetric() -> None:
    w = tile_weights(8)
    assert (w > 0).all()
    np.testing.assert_allclose(w, w[::-1, ::-1])
    assert w[3, 3] == pytest.approx(w.max())


def test_blocks_tile_the_window_exactly() -> None:
    parts = list(blocks(Window(10, 20, 250, 130), 100))
    assert len(parts) == 6
    assert sum(p.width * p.height for p in parts) == 250 * 130
    assert parts[-1] == Window(210, 120, 50, 30)


@pytest.mark.parametrize(
    ("flow", "turns"),
    [(None, 0), ("up", 0), ("right", 1), ("down", 2), ("left", 3), (90, 1), ("180", 2), (-90, 3)],
)
def test_flow_turns(flow, turns) -> None:
    assert flow_turns(flow) == turns


@pytest.mark.parametrize("flow", ["up", "right", "down", "left"])
def test_turning_brings_the_ocean_side_to_the_top(flow) -> None:
    """The ocean lies where the ice flows to; after the turn it must be at the top."""
    ocean = np.zeros((5, 5), dtype=bool)
    side = {"up": (0, slice(None)), "down": (-1, slice(None))}
    side |= {"left": (slice(None), 0), "right": (slice(None), -1)}
    ocean[side[flow]] = True
    turned = np.rot90(ocean, flow_turns(flow))
    assert turned[0].all() and turned.sum() == 5


def test_flow_turns_rejects_nonsense() -> None:
    with pytest.raises(InputError, match="azimuth"):
        flow_turns("north-ish")


def test_cancel_stops_between_batches() -> None:
    model = fake_model(constant(0.5), tile=64)
    x = np.zeros((3, 300, 300), dtype=np.float32)
    calls = iter(range(100))
    with pytest.raises(Cancelled):
        predict_array(model, x, 64, 16, batch_size=1, cancelled=lambda: next(calls) >= 2)
    assert model.session.calls == 2


@pytest.mark.parametrize(("turns", "azimuth"), [(0, 0.0), (1, 270.0), (2, 180.0), (3, 90.0)])
def test_estimate_flow_points_from_ice_to_ocean(turns, azimuth) -> None:
    ice = np.zeros((60, 60), dtype=np.float32)
    ice[30:] = 1.0  # ice below, ocean above: flowing up
    edge = np.zeros_like(ice)
    edge[29:31, 10:50] = 1.0
    found = estimate_flow(np.rot90(edge, turns), np.rot90(ice, turns))
    assert min(abs(found - azimuth), 360 - abs(found - azimuth)) < 1.0
    assert flow_turns(found) == (4 - turns) % 4  # the turn that undoes ours


def test_estimate_flow_without_any_gradient_is_unknown() -> None:
    flat = np.zeros((20, 20), dtype=np.float32)
    assert estimate_flow(flat, flat) is None


@pytest.mark.parametrize(("width", "height", "block"), [(200, 300, 2048), (700, 500, 256)])
def test_progress_runs_to_the_end(tmp_path, width, height, block) -> None:
    """The progress bar ends at 100 %, whether the window is one block or many."""
    from calfin_qgis.core.geo import rasters
    from calfin_qgis.core.network.infer import predict_scene
    from tests.scenes import make_scene

    scene = rasters.open_scene(make_scene(tmp_path / "scene.tif", width, height))
    seen: list[float] = []
    predict_scene(
        fake_model(constant(0.5)),
        scene,
        scene.full_window,
        lambda block, data: None,
        block=block,
        overlap=16,
        progress=seen.append,
    )
    assert seen[-1] == pytest.approx(1.0)
    assert seen == sorted(seen)
