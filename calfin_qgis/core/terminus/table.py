"""The tables of terminus change (positions, multi-centreline profiles, geometry used), their
rows, and the change and rate computed down one glacier's rows."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from .inputs import METHODS

DAYS_PER_YEAR = 365.25
SHORT_INTERVAL_DAYS = 90
"""A rate over fewer days than this is marked when it lies beyond the glacier's usual range:
a few tens of metres of picking error make a large rate over a few days."""
USUAL_RANGE_MADS = 3.0
"""The usual range: the median rate ± this many (scaled) median absolute deviations."""
MILLIMETRE = 3
"""Decimals of every length and rate written (metres to the millimetre)."""

POSITION_FIELDS = tuple(f"{method}_position_m" for method in METHODS)
TABLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("date", "date"),
    ("image_id", "str"),
    ("qual_flag", "int"),
    ("n_fronts", "int"),
    *((name, "float") for name in POSITION_FIELDS),
    ("extended_m", "float"),
    ("change_m", "float"),
    ("rate_m_per_yr", "float"),
    ("warning", "str"),
)
CUT_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("date", "date"),
    ("box", "str"),
    ("position_m", "float"),
)
PROFILE_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("date", "date"),
    ("offset_m", "float"),
    ("position_m", "float"),
)
"""The multi-centreline's across-front profile: one row per glacier × date × line; the offset
is across the centreline, positive to its left looking downstream."""
GEOMETRY_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("kind", "str"),
    ("origin", "str"),
    ("width_m", "float"),
    ("note", "str"),
)
"""The boxes (as outlines) and centrelines a run measured with: kind box, curvilinear_box or
centreline; origin drawn or automatic (from GLACIERS)."""


@dataclass
class Row:
    glacier_id: str
    date: datetime.date | None
    image_id: str
    qual_flag: int | None
    n_fronts: int
    box_position_m: float | None = None
    curvilinear_box_position_m: float | None = None
    centreline_position_m: float | None = None
    extrapolated_centreline_position_m: float | None = None
    multi_centreline_position_m: float | None = None
    extended_m: float | None = None
    change_m: float | None = None
    rate_m_per_yr: float | None = None
    warning: str = ""
    cut: BaseGeometry | None = None
    cut_box: str = ""
    interval_days: int | None = None
    unusual_rate: bool = False

    def record(self) -> dict:
        """The table's values, lengths rounded to the millimetre."""
        return {name: rounded(getattr(self, name)) for name, _ in TABLE_FIELDS}

    def warn(self, text: str) -> None:
        if text and text not in self.warning.split("; "):
            self.warning = f"{self.warning}; {text}" if self.warning else text


def rounded(value):
    return round(value, MILLIMETRE) if isinstance(value, float) else value


@dataclass
class Result:
    rows: list[Row]
    crs_wkt: str
    notes: list[str] = field(default_factory=list)
    """What the user should know: fronts left out, centrelines reversed, fallbacks."""
    methods: dict[str, str] = field(default_factory=dict)
    """Glacier id → the method its change and rate are computed from."""
    computed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Glacier id → the methods computed for it (in ``METHODS`` order)."""
    profiles: list[dict] = field(default_factory=list)
    """Multi-centreline profile records (``PROFILE_FIELDS``)."""
    geometry: list[dict] = field(default_factory=list)
    """Boxes and centrelines used (``GEOMETRY_FIELDS`` plus ``geometry``)."""

    def cut_records(self) -> list[dict]:
        """The measured part of each box per date (``CUT_FIELDS`` plus a multipolygon)."""
        return [
            {
                "glacier_id": row.glacier_id,
                "date": row.date,
                "box": row.cut_box,
                "position_m": rounded(getattr(row, f"{row.cut_box}_position_m")),
                "geometry": shapely.multipolygons(shapely.get_parts(row.cut)),
            }
            for row in self.rows
            if row.cut is not None
        ]


def add_change(rows: Sequence[Row], key: str) -> None:
    """change_m since the first measured date and rate_m_per_yr to the previous one."""
    measured = [r for r in rows if r.date is not None and getattr(r, key) is not None]
    for i, row in enumerate(measured):
        row.change_m = getattr(row, key) - getattr(measured[0], key)
        if i:
            previous = measured[i - 1]
            row.interval_days = (row.date - previous.date).days
            years = row.interval_days / DAYS_PER_YEAR
            if years > 0:
                row.rate_m_per_yr = (getattr(row, key) - getattr(previous, key)) / years
    mark_unusual_rates(measured)


def mark_unusual_rates(rows: Sequence[Row]) -> None:
    """Mark (``unusual_rate`` and a warning) each rate over a short interval that lies beyond
    the glacier's usual range; it stays in the table."""
    rates = np.array([r.rate_m_per_yr for r in rows if r.rate_m_per_yr is not None])
    if len(rates) < 4:
        return
    median = float(np.median(rates))
    spread = 1.4826 * float(np.median(np.abs(rates - median)))
    if spread <= 0:
        return
    low, high = median - USUAL_RANGE_MADS * spread, median + USUAL_RANGE_MADS * spread
    for row in rows:
        rate = row.rate_m_per_yr
        short = row.interval_days is not None and row.interval_days < SHORT_INTERVAL_DAYS
        if rate is not None and short and not low <= rate <= high:
            row.unusual_rate = True
            row.warn(
                f"rate over {row.interval_days} days beyond the glacier's usual range "
                f"({low:.0f} to {high:.0f} m/yr): check both fronts"
            )
