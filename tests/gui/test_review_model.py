"""The Qt-free queue: status rules, filters, sorting, navigation and progress."""

from __future__ import annotations

import datetime

import pytest
from shapely.geometry import LineString, Point

from calfin_qgis.gui.review_geometry import cut_parts, trim
from calfin_qgis.gui.review_model import (
    ACCEPTED,
    EDITED,
    REDRAWN,
    REJECTED,
    UNREVIEWED,
    UNSURE,
    FrontRecord,
    ReviewQueue,
    review_for,
)


def records() -> list[FrontRecord]:
    day = datetime.date
    return [
        FrontRecord(1, "a", day(2001, 7, 7), 0, 1.0),
        FrontRecord(2, "a", day(2001, 7, 7), 10, 0.8),
        FrontRecord(3, "b", day(1997, 10, 1), 13, 0.3),
        FrontRecord(4, "a", None, 10, None),
    ]


@pytest.mark.parametrize(
    ("action", "flag", "expected"),
    [
        (ACCEPTED, 10, (ACCEPTED, 10, 1)),
        (ACCEPTED, 13, (ACCEPTED, 13, 1)),
        (REJECTED, 13, (REJECTED, 13, 1)),
        (EDITED, 10, (EDITED, 3, 1)),
        (EDITED, 0, (EDITED, 0, 1)),
        (REDRAWN, 13, (REDRAWN, 0, 1)),
        (UNREVIEWED, 10, (UNREVIEWED, 10, 0)),
        (UNSURE, 13, (UNSURE, 13, 0)),
    ],
)
def test_review_rules(action, flag, expected) -> None:
    review = review_for(action, flag)
    assert (review.status, review.qual_flag, review.reviewed) == expected


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown review action"):
        review_for("maybe", 10)


def test_sort_by_date_and_confidence_keeps_missing_values_last() -> None:
    queue = ReviewQueue(records())
    assert queue.view == [1, 2, 3, 4]
    queue.set_sort("date")
    assert queue.view == [3, 1, 2, 4]
    queue.set_sort("confidence", descending=True)
    assert queue.view == [1, 2, 3, 4]
    queue.set_sort("confidence")
    assert queue.view == [3, 2, 1, 4]
    with pytest.raises(ValueError, match="Cannot sort"):
        queue.set_sort("length")


def test_filters_and_navigation() -> None:
    queue = ReviewQueue(records())
    queue.set_filter(qual_flags={10, 13})
    assert queue.view == [2, 3, 4]
    assert queue.current_fid == 2
    assert queue.next() and queue.next() and not queue.next()
    assert queue.current_fid == 4
    assert queue.previous() and queue.current_fid == 3
    queue.set_filter(statuses={ACCEPTED})
    assert queue.view == [] and queue.current is None and queue.position == -1


def test_reviewed_front_leaves_an_unreviewed_view_and_the_next_takes_its_place() -> None:
    queue = ReviewQueue(records())
    queue.set_filter(statuses={UNREVIEWED})
    queue.go_to(2)
    queue.set_status(2, ACCEPTED, 10)
    queue.step_past(2)
    assert queue.current_fid == 3
    assert queue.view == [1, 3, 4]
    # Without a filter the reviewed front stays, and step_past moves on by one.
    queue.set_filter()
    queue.go_to(3)
    queue.set_status(3, REJECTED, 13)
    queue.step_past(3)
    assert queue.current_fid == 4


def test_progress_counts_every_status() -> None:
    queue = ReviewQueue(records())
    queue.set_status(1, ACCEPTED, 0)
    queue.set_status(3, REJECTED, 13)
    queue.set_filter(statuses={UNREVIEWED})
    assert (queue.reviewed, queue.total) == (2, 4)
    assert queue.counts() == {
        UNREVIEWED: 2,
        ACCEPTED: 1,
        REJECTED: 1,
        EDITED: 0,
        REDRAWN: 0,
        UNSURE: 0,
    }
    assert queue.progress_text().startswith("2 of 4 reviewed (2 unreviewed, 1 accepted, 1 rejected")


def test_unsure_is_a_status_to_filter_on_but_not_reviewed() -> None:
    queue = ReviewQueue(records())
    queue.set_status(2, UNSURE, 10)
    queue.set_status(3, ACCEPTED, 13)
    assert (queue.reviewed, queue.total) == (1, 4)
    assert queue.progress_text().endswith("1 unsure)")
    queue.set_filter(statuses={UNSURE})
    assert queue.view == [2]


def test_same_scene_and_neighbour_dates_of_the_same_glacier() -> None:
    day = datetime.date
    queue = ReviewQueue(
        [
            FrontRecord(1, "s2", day(2001, 7, 7), glacier_id="g"),
            FrontRecord(2, "s2_Subset", day(2001, 7, 7), glacier_id="g"),
            FrontRecord(3, "s1", day(2000, 6, 1), glacier_id="g"),
            FrontRecord(4, "s0", day(1999, 6, 1), glacier_id="g"),
            FrontRecord(5, "s3", day(2002, 8, 1), glacier_id="g"),
            FrontRecord(6, "s3", day(2002, 8, 1), glacier_id="g"),
            FrontRecord(7, "x", day(2001, 1, 1), glacier_id="other"),
            FrontRecord(8, "", None, glacier_id="g"),
        ]
    )
    assert queue.same_scene(1) == [2] and queue.same_scene(8) == []
    assert queue.neighbour_dates(1) == ([3], [5, 6])
    assert queue.neighbour_dates(4) == ([], [3])
    assert queue.neighbour_dates(8) == ([], [])  # no date: no neighbours in time


def test_trim_keeps_longer_part_or_the_clicked_one() -> None:
    line = LineString([(0, 0), (10, 0), (10, 3)])
    assert [p.length for p in cut_parts(line, Point(8, 1))] == [8, 5]
    assert trim(line, Point(8, 1)).equals(LineString([(0, 0), (8, 0)]))
    assert trim(line, Point(8, 1), near=Point(10, 2)).equals(LineString([(8, 0), (10, 0), (10, 3)]))
    cutter = LineString([(2, -1), (2, 1)])
    assert trim(line, cutter).equals(LineString([(2, 0), (10, 0), (10, 3)]))
    assert trim(line, Point(-5, 0)).equals(line)


def test_trim_of_a_front_in_pieces_keeps_the_other_pieces() -> None:
    from shapely.geometry import MultiLineString

    line = MultiLineString([[(0, 0), (1000, 0)], [(3000, 0), (3500, 0)]])
    trimmed = trim(line, Point(900, 0))
    assert trimmed.equals(MultiLineString([[(3000, 0), (3500, 0)], [(0, 0), (900, 0)]]))
