"""Dates as the databases write them: ``YYYY-MM-DD`` (also ``/``, ``YYYYMMDD``, a time
after it), a date value, TermPicks' Year/Month/Day fields and decimal years.

TermPicks writes month (or day) ``00`` when it is unknown: such a front is kept, dated to the
middle of its year (1 July) or month (the 15th), and flagged with its precision, so that a
time series can tell it from a dated one.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

DAY, MONTH, YEAR = "day", "month", "year"
"""How much of a date is known (``date_known`` of a front read from a database)."""

UNKNOWN_MONTH = (7, 1)
UNKNOWN_DAY = 15

_TEXT = re.compile(r"^\s*(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[T ].*)?\s*$")


@dataclass(frozen=True)
class Dated:
    date: datetime.date
    known: str
    """DAY, MONTH (day 00) or YEAR (month 00)."""


def _from_parts(year: int, month: int, day: int) -> Dated:
    """A date from numbers where month or day 0 means unknown (raises ValueError if invalid)."""
    if month == 0:
        return Dated(datetime.date(year, *UNKNOWN_MONTH), YEAR)
    if day == 0:
        return Dated(datetime.date(year, month, UNKNOWN_DAY), MONTH)
    return Dated(datetime.date(year, month, day), DAY)


def decimal_year(date: datetime.date) -> float:
    """2001-07-07 → 2001.513...: the start of the day as a fraction of its year (DecDate)."""
    start = datetime.date(date.year, 1, 1)
    days = (datetime.date(date.year + 1, 1, 1) - start).days
    return date.year + (date - start).days / days


def from_decimal_year(value: float) -> datetime.date:
    """The day a decimal year falls in (the inverse of ``decimal_year``)."""
    year = int(value)
    start = datetime.date(year, 1, 1)
    days = (datetime.date(year + 1, 1, 1) - start).days
    return start + datetime.timedelta(days=int(round((value - year) * days, 6)))


def parse(value, year=None, month=None, day=None, decimal=None) -> Dated | None:
    """A front's date from its date field (text or date), else its Year/Month/Day fields,
    else its decimal year; None when none of them reads as a date."""
    if isinstance(value, datetime.datetime):
        return Dated(value.date(), DAY)
    if isinstance(value, datetime.date):
        return Dated(value, DAY)
    if value not in (None, ""):
        match = _TEXT.match(str(value))
        if match:
            try:
                return _from_parts(*map(int, match.groups()))
            except ValueError:
                pass
    if year not in (None, ""):
        try:
            return _from_parts(int(year), int(month or 0), int(day or 0))
        except (TypeError, ValueError):
            pass
    if decimal not in (None, ""):
        try:
            return Dated(from_decimal_year(float(decimal)), DAY)
        except (TypeError, ValueError, OverflowError):
            pass
    return None
