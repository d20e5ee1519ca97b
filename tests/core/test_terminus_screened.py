"""terminus_change and its report with screened fronts: left out by default and listed with
their reasons; kept on request, greyed, with uncertainty error bars."""

from __future__ import annotations

import dataclasses
import datetime

from calfin_qgis.core.terminus.change import terminus_change
from calfin_qgis.core.terminus.report import SCREENED_COLOUR, write_terminus_report
from tests.core.test_terminus import across, boxes, fronts

D = datetime.date


def screened_series():
    layer = fronts(
        (D(2000, 1, 1), across(3000)),
        (D(2000, 2, 1), across(1000)),
        (D(2000, 3, 1), across(2900)),
    )
    items = list(layer.items)
    items[1] = dataclasses.replace(items[1], screen="jump;rate")
    items[2] = dataclasses.replace(items[2], screen="reviewed", uncertainty_m=120.0)
    return dataclasses.replace(layer, items=items)


def test_screened_fronts_are_left_out_and_listed(tmp_path):
    result = terminus_change(screened_series(), boxes())
    assert [r.image_id for r in result.rows] == ["img0", "img2"]
    assert result.rows[1].change_m is not None and result.rows[1].uncertainty_m == 120.0
    assert any("img1 (jump;rate)" in note for note in result.notes)
    assert [f.image_id for f in result.screened] == ["img1"]
    report = tmp_path / "r.html"
    write_terminus_report(str(report), result)
    page = report.read_text()
    assert "1 screened front(s) left out" in page and "jump;rate" in page
    assert "uncertainty 120 m" in page


def test_kept_screened_fronts_are_measured_and_greyed(tmp_path):
    result = terminus_change(screened_series(), boxes(), keep_screened=True)
    assert [r.image_id for r in result.rows] == ["img0", "img1", "img2"]
    assert result.rows[1].screen == "jump;rate"
    assert "screened: jump;rate" in result.rows[1].warning
    report = tmp_path / "r.html"
    write_terminus_report(str(report), result)
    assert SCREENED_COLOUR in report.read_text()
