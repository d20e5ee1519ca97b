"""Warnings where a run would otherwise give confident nonsense, in real headless QGIS."""

from __future__ import annotations

import shutil

import pytest

from tests.algorithms.feedback import Log
from tests.algorithms.test_parameters import run

pytestmark = pytest.mark.usefixtures("plugin")


def test_a_flow_direction_the_prediction_contradicts_is_flagged(
    model_path, sample_scene, tmp_path
) -> None:
    """The sample's ice flows up (Jakobshavn, rotated by its authors): left is 90° off."""
    warned = {}
    for flow in ("left", "up"):
        log = Log()
        params = {
            "INPUT": str(sample_scene),
            "FLOW": flow,
            "OUTPUT": str(tmp_path / f"{flow}.gpkg"),
        }
        run("calfin:detect_fronts", params, log)
        warned[flow] = [w for w in log.warnings if "ice flow direction given" in w]
    (warning,) = warned["left"]
    assert warning.startswith("The ice flow direction given (left) is ")
    assert "clockwise from up: up); the given direction was used" in warning
    assert warned["up"] == []


def test_no_date_and_no_glacier_id_is_said_once(model_path, sample_scene, tmp_path) -> None:
    undated = str(shutil.copy(sample_scene, tmp_path / "jakobshavn.tif"))
    log = Log()
    run("calfin:detect_fronts", {"INPUT": undated, "OUTPUT": str(tmp_path / "a.gpkg")}, log)
    (warning,) = [w for w in log.warnings if "no glacier id" in w]
    assert warning.startswith("No acquisition date for jakobshavn.tif (not in its name, no product")
    assert "GLACIER_ID" in warning and "MTL" in warning and "product name" in warning

    quiet = Log()
    params = {"INPUT": undated, "GLACIER_ID": "jakobshavn", "OUTPUT": str(tmp_path / "b.gpkg")}
    run("calfin:detect_fronts", params, quiet)
    dated = Log()  # the sample's Landsat product name carries its date
    run(
        "calfin:detect_fronts",
        {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "c.gpkg")},
        dated,
    )
    assert not [w for w in quiet.warnings + dated.warnings if "no glacier id" in w]
