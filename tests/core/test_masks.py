"""Ice masks of fronts closed by a glacier polygon: the mask IoU and the bias's sign."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, box

from calfin_qgis.core.errors import InputError
from calfin_qgis.core.evaluation.masks import flow_vector, ice_mask, mask_score

FJORD = box(0, 0, 1000, 3000)  # the ice flows north: up
FRONT = LineString([(50, 1500), (500, 1520), (950, 1500)])  # stops short of the walls


def shifted(dy: float) -> LineString:
    return LineString([(x, y + dy) for x, y in FRONT.coords])


def test_a_front_closes_the_polygon_on_the_upstream_side():
    ice = ice_mask([FRONT], FJORD, Point(500, 10))
    assert ice.area == pytest.approx(1000 * 1510, rel=0.02)


@pytest.mark.parametrize(("dy", "sign"), [(200.0, 1), (-200.0, -1), (0.0, 0)])
def test_bias_is_ahead_or_behind_by_flow_and_by_a_closed_reference(dy, sign):
    by_flow = mask_score([shifted(dy)], [FRONT], None, FJORD, flow_vector("up"), 10.0, 1.0)
    reference = ice_mask([FRONT], FJORD, Point(500, 10))
    closed = mask_score([shifted(dy)], [reference.boundary], reference, FJORD, None, 10.0, 1.0)
    for score in (by_flow, closed):
        assert score.bias_m == pytest.approx(sign * 200, abs=15)
        assert score.mask_iou == pytest.approx(1 - abs(dy) / 1700, abs=0.02)


def test_no_ice_side_without_flow_or_mask():
    assert mask_score([FRONT], [FRONT], None, FJORD, None, 10.0, 1.0) is None
    with pytest.raises(InputError, match="azimuth"):
        flow_vector("sideways")
    assert flow_vector(90) == pytest.approx([1, 0])
