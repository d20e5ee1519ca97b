"""uncertainty_m and --views through the shell's detect and batch (no QGIS)."""

from __future__ import annotations

import pytest
from osgeo import ogr

from calfin_qgis.core.cli import commands
from tests.conftest import SAMPLE_CLIP


def uncertainties(path, layer: str | None = None) -> list[float | None]:
    ds = ogr.Open(str(path))
    fronts = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    return [feature["uncertainty_m"] for feature in fronts]


@pytest.mark.parametrize("views", ["1", "8"])
def test_detect_writes_an_uncertainty_for_each_front(model_path, sample_scene, tmp_path, views):
    output = tmp_path / "fronts.gpkg"
    argv = ["detect", str(sample_scene), str(output), "--clip", str(SAMPLE_CLIP)]
    assert commands.main([*argv, "--flow", "up", "--views", views]) == 0
    found = uncertainties(output)
    assert found and all(value is not None and 0 < value < 5000 for value in found)


@pytest.mark.parametrize(
    ("views", "message"),
    [
        ("3", "3 is not 1, 2 or 8"),
        ("0", "0 must be at least 1 and at most 8"),
        ("two", "'two' is not a number"),
    ],
)
def test_detect_refuses_other_views(sample_scene, tmp_path, capsys, views, message) -> None:
    with pytest.raises(SystemExit) as exit_:
        commands.main(["detect", str(sample_scene), str(tmp_path / "f.gpkg"), "--views", views])
    assert exit_.value.code == 2
    assert f"argument --views: {message}" in capsys.readouterr().err
    assert not (tmp_path / "f.gpkg").exists()


def test_no_flip_is_views_1_and_refused_with_more_views(sample_scene, tmp_path, capsys) -> None:
    argv = ["detect", str(sample_scene), str(tmp_path / "f.gpkg"), "--no-flip", "--views", "8"]
    assert commands.main(argv) == 2
    assert "turned off (FLIP=false, --no-flip" in capsys.readouterr().err
    assert not (tmp_path / "f.gpkg").exists()


def test_batch_fronts_carry_an_uncertainty(batch_reference) -> None:
    found = uncertainties(batch_reference["output"], "fronts")
    assert found and all(value is not None and value > 0 for value in found)
