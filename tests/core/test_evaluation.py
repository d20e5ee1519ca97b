"""Pairing detected and reference fronts by image id, and saying what was left out."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import LineString

from calfin_qgis.core.errors import InputError
from calfin_qgis.core.evaluation.scoring import evaluate


def line(y: float, x0: float = 0.0, x1: float = 4000.0) -> LineString:
    return LineString([(x0, y), (x1, y)])


def test_parallel_lines_two_pixels_apart() -> None:
    scores, summary, notes = evaluate({"a": [line(80)]}, {"a": [line(0)]}, 40.0)
    assert summary.mean_px == pytest.approx(2.0) and summary.median_px == pytest.approx(2.0)
    assert scores[0].pixel_size_m == 40.0 and notes == []


def test_what_is_left_out_is_said_and_one_bad_image_does_not_stop_the_rest() -> None:
    detected = {"a": [line(40)], "a_copy": [line(0)], "far": [line(0), line(3e7)]}
    reference = {"a": [line(0)], "empty": [LineString()], "far": [line(0)], "missed": [line(0)]}
    scores, summary, notes = evaluate(detected, reference, 40.0)
    assert [s.image_id for s in scores] == ["a", "missed"]
    assert summary.n_no_front == 1 and summary.mean_px == pytest.approx(1.0)
    missed = scores[1]
    assert not missed.found and math.isnan(missed.line_iou)  # as in the pooled IoU
    text = " ".join(notes)
    assert "1 detected image(s) have no reference" in text and "'a_copy'" in text
    assert "1 reference image(s) hold no line" in text and "'empty'" in text
    assert "'far' lie too far apart" in text


def test_references_without_any_line_are_refused() -> None:
    with pytest.raises(InputError, match="holds no front lines"):
        evaluate({"a": [line(0)]}, {"a": [LineString()]}, 40.0)
