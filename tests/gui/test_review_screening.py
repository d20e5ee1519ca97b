"""The review dock on a screened layer (real QGIS widgets, offscreen): suspects first, their
uncertainty and reasons shown, a screened-only filter, the suspects left, the labeller's
decision recorded in ``screen``, and the glacier's time-series strip."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import ogr
from qgis.core import QgsGeometry, QgsVectorLayer

from calfin_qgis.gui.review_model import REDRAWN
from calfin_qgis.gui.review_strip import principal_positions
from tests.gui.conftest import read_on_disk, reviewing

# fid → (screen, uncertainty_m); fid 1 is the sample's manual front (glacier jakobshavn_isbrae)
SCREENS = {1: (None, 500.0), 2: ("ok", None), 3: ("jump;rate", 300.0), 4: ("short", 100.0)}


@pytest.fixture()
def screened_path(fronts_path: Path) -> Path:
    ds = ogr.Open(str(fronts_path), 1)
    layer = ds.GetLayer(0)
    layer.CreateField(ogr.FieldDefn("screen", ogr.OFTString))
    layer.CreateField(ogr.FieldDefn("uncertainty_m", ogr.OFTReal))
    for fid, (screen, uncertainty) in SCREENS.items():
        feature = layer.GetFeature(fid)
        if screen is not None:
            feature.SetField("screen", screen)
        if uncertainty is not None:
            feature.SetField("uncertainty_m", uncertainty)
        feature.SetField("glacier_id", "jakobshavn_isbrae")
        layer.SetFeature(feature)
    ds = None
    return fronts_path


@pytest.fixture()
def screened_dock(dock, screened_path):
    layer = QgsVectorLayer(str(screened_path), "screened", "ogr")
    assert layer.isValid()
    return reviewing(dock, layer)


def test_suspects_come_first_then_by_uncertainty(screened_dock) -> None:
    dock = screened_dock
    dock.sort_combo.setCurrentIndex(dock.sort_combo.findData("suspicion"))
    assert dock.queue.view == [3, 4, 1, 2]
    assert dock.current_fid == 1  # sorting keeps the current front
    dock.go_to(3)
    text = dock.front_label.text()
    assert "uncertainty 300 m" in text and "screened: jump;rate" in text
    assert dock.progress_label.text().endswith("2 suspect(s) left")


def test_screened_only_filter(screened_dock) -> None:
    dock = screened_dock
    dock.screened_check.setChecked(True)
    assert dock.queue.view == [3, 4]
    dock.set_screened_filter(False)
    assert dock.queue.view == [1, 2, 3, 4] and not dock.screened_check.isChecked()


def test_accepting_or_redrawing_a_suspect_records_the_decision(screened_dock, screened_path):
    dock = screened_dock
    dock.set_screened_filter(True)
    assert dock.current_fid == 3
    assert dock.accept_current()
    assert dock.layer.getFeature(3)["screen"] == "reviewed"
    assert dock.queue.view == [4]  # no longer a suspect
    assert dock.progress_label.text().endswith("1 suspect(s) left")
    new_line = QgsGeometry.fromWkt("LINESTRING (-187000 -2274000, -185000 -2276000)")
    assert dock.redraw_current(new_line)
    assert dock.layer.getFeature(4)["status"] == REDRAWN
    assert dock.layer.getFeature(4)["screen"] == "reviewed"
    assert dock.queue.view == [] and dock.progress_label.text().endswith("0 suspect(s) left")
    dock.undo()
    assert dock.layer.getFeature(4)["screen"] == "short"  # one undo reverts both
    assert dock.save()
    on_disk = read_on_disk(screened_path)
    assert on_disk[3]["screen"] == "reviewed" and on_disk[4]["screen"] == "short"


def test_rejecting_a_suspect_keeps_its_reasons(screened_dock) -> None:
    dock = screened_dock
    dock.go_to(4)
    assert dock.reject_current()
    assert dock.layer.getFeature(4)["screen"] == "short"


def test_strip_shows_the_glacier_with_the_current_front_marked(screened_dock) -> None:
    dock = screened_dock
    dock.go_to(3)
    strip = dock.strip
    assert not strip.isHidden()
    assert [p.fid for p in strip.points] == [3, 1, 2, 4]  # by date: 1997, 2001 (2), 2003
    assert strip.current == 3
    assert [p.screened for p in strip.points] == [True, False, False, True]
    image = strip.grab().toImage()
    ring = strip.xy()[0]  # the current front's point, ringed in black
    assert image.pixelColor(round(ring.x() + 6.5), round(ring.y())).lightness() < 100
    assert image.pixelColor(2, 2).lightness() > 200  # white background
    dock.go_to(2)
    assert strip.current == 2


def test_principal_positions_follow_the_spread_of_the_fronts() -> None:
    positions = principal_positions([(0, 0), (0, 100), (0, 200), (5, 2000)])
    assert positions[3] - positions[2] == pytest.approx(1800, rel=1e-3)
    assert positions[0] < positions[1] < positions[2] < positions[3]
    assert principal_positions([(1.0, 2.0)]) == [0.0]
