"""A self-contained HTML report of terminus change: one time-series plot and summary per glacier.

Inline SVG (``svg`` helpers, as the evaluation report), so it opens in any browser.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..geo import rasters
from ..schema import QUAL_AUTO, QUAL_AUTO_LOW_CONFIDENCE, QUAL_MANUAL, QUAL_MANUAL_EDITED
from ..svg import fmt, nice_ticks, polyline, svg, text
from .change import Result, Row

QUAL_STYLE = {
    QUAL_MANUAL: ("#08306b", "0 manual"),
    QUAL_MANUAL_EDITED: ("#4292c6", "3 manually edited"),
    QUAL_AUTO: ("#f16913", "10 automatic"),
    QUAL_AUTO_LOW_CONFIDENCE: ("#fdae6b", "13 automatic, low confidence"),
}
OTHER_STYLE = ("#969696", "other / none")
SCREENED_COLOUR = "#e0e0e0"
"""Fronts screening marked, measured on request (KEEP_SCREENED): greyed."""

METHODS = """<p><b>Box position</b> (rectilinear box, Moon &amp; Joughin 2008, JGR 113,
F02022; curvilinear box, Lea 2018, ESurf 6, 551–561): the area of the box between its
upstream edge and the front, divided by the box's mean width. <b>Centreline position</b>:
the distance along the centreline, from its upstream start, to its first crossing with the
front. Positions grow downstream: a retreat is a negative change. Change and rate use the
box position where the glacier has a box, else the centreline position; the rate is to the
previous measured date. Several fronts on one date are one position (their union).</p>"""


@dataclass(frozen=True)
class Summary:
    first: Row
    last: Row
    total_m: float
    rate_m_per_yr: float | None
    retreat: tuple[Row, Row, float] | None
    """The largest retreat between two consecutive fronts: (before, after, metres)."""


def measured(rows: Sequence[Row], key: str) -> list[Row]:
    return [r for r in rows if r.date is not None and getattr(r, key) is not None]


def summarize(rows: Sequence[Row], key: str) -> Summary | None:
    """Total change, mean annual rate and largest retreat of one glacier's ``key`` position."""
    points = measured(rows, key)
    if not points:
        return None
    first, last = points[0], points[-1]
    total = getattr(last, key) - getattr(first, key)
    years = (last.date - first.date).days / 365.25
    steps = [(a, b, getattr(b, key) - getattr(a, key)) for a, b in pairwise(points)]
    retreat = min(steps, key=lambda s: s[2], default=None)
    return Summary(
        first,
        last,
        total,
        total / years if years > 0 else None,
        retreat if retreat and retreat[2] < 0 else None,
    )


def _decimal_year(date: datetime.date) -> float:
    start = datetime.date(date.year, 1, 1).toordinal()
    length = datetime.date(date.year + 1, 1, 1).toordinal() - start
    return date.year + (date.toordinal() - start) / length


def date_ticks(start: datetime.date, end: datetime.date) -> list[tuple[float, str]]:
    """(decimal year, label) ticks: whole years (every 1, 2, 5... years) or, for less than
    two years, month starts, so that a seasonal cycle can be read off."""
    span = _decimal_year(end) - _decimal_year(start)
    if span >= 2:
        years = nice_ticks(start.year, end.year + 1, 6)
        return [(y, f"{int(y)}") for y in years if y == int(y) and start.year <= y <= end.year + 1]
    step = next(m for m in (1, 2, 3, 6) if span * 12 / m <= 8)
    ticks, month = [], datetime.date(start.year, start.month, 1)
    while month <= end + datetime.timedelta(days=31):
        if (month.month - 1) % step == 0:
            ticks.append((_decimal_year(month), month.strftime("%Y-%m")))
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks


def series_svg(rows: Sequence[Row], key: str, width: int = 680, height: int = 300) -> str:
    """Position against date, points coloured by qual_flag, joined in date order."""
    points = measured(rows, key)
    if not points:
        return "<p>No front could be measured: nothing to plot.</p>"
    left, right, top, bottom = 70, 15, 15, 45
    xticks = date_ticks(points[0].date, points[-1].date)
    values = [getattr(r, key) for r in points]
    spans = [(r.uncertainty_m or 0.0) for r in points]
    low = min(v - u for v, u in zip(values, spans, strict=True))
    yticks = nice_ticks(low, max(v + u for v, u in zip(values, spans, strict=True)), 5)
    x0 = min(xticks[0][0], _decimal_year(points[0].date))
    x1 = max(xticks[-1][0], _decimal_year(points[-1].date))
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(year: float) -> float:
        return left + (year - x0) / (x1 - x0) * (width - left - right)

    def sy(value: float) -> float:
        return top + (yticks[-1] - value) / (yticks[-1] - yticks[0]) * (height - top - bottom)

    body = [
        polyline(
            [(left, top), (left, height - bottom), (width - right, height - bottom)], "#000", 1
        )
    ]
    for year, label in xticks:
        body.append(polyline([(sx(year), top), (sx(year), height - bottom)], "#ddd", 1))
        body.append(text(sx(year), height - bottom + 15, label, anchor="middle"))
    for value in yticks:
        body.append(polyline([(left, sy(value)), (width - right, sy(value))], "#ddd", 1))
        body.append(text(left - 5, sy(value) + 4, f"{value:g}", anchor="end"))
    body.append(text((left + width - right) / 2, height - 8, "date", anchor="middle"))
    body.append(
        text(
            14,
            (top + height - bottom) / 2,
            "position (m)",
            anchor="middle",
            transform=f"rotate(-90 14 {(top + height - bottom) / 2:.1f})",
        )
    )
    xy = [(sx(_decimal_year(r.date)), sy(getattr(r, key))) for r in points]
    body.append(polyline(xy, "#888", 1))
    for (x, y), row in zip(xy, points, strict=True):
        colour, name = QUAL_STYLE.get(row.qual_flag, OTHER_STYLE)
        tip = f"{row.date} {getattr(row, key):.0f} m, qual_flag {row.qual_flag}"
        if row.uncertainty_m:
            value = getattr(row, key)
            ends = [(x, sy(value - row.uncertainty_m)), (x, sy(value + row.uncertainty_m))]
            body.append(polyline(ends, "#555", 1))
            tip += f", uncertainty {row.uncertainty_m:.0f} m"
        if row.screen:
            colour, tip = SCREENED_COLOUR, f"{tip}, screened: {row.screen}"
        tip = html.escape(tip)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="#000" '
            f'stroke-width="0.5"><title>{tip}</title></circle>'
        )
    return svg(width, height, "".join(body))


def _legend(rows: Sequence[Row]) -> str:
    flags = sorted({r.qual_flag for r in rows}, key=lambda f: (f is None, f or 0))
    items = [QUAL_STYLE.get(flag, OTHER_STYLE) for flag in flags]
    if any(r.screen for r in rows):
        items.append((SCREENED_COLOUR, "screened (reasons in the table)"))
    return " ".join(
        f'<span style="color:{colour}">●</span> {html.escape(name)}' for colour, name in items
    )


def _summary_html(summary: Summary | None, key: str) -> str:
    if summary is None:
        return "<p>No measured position.</p>"
    retreat = "none"
    if summary.retreat:
        before, after, metres = summary.retreat
        retreat = f"{fmt(metres, ' m')} ({before.date} → {after.date})"
    rate = fmt(summary.rate_m_per_yr, " m/yr")
    return (
        f"<table><tr><th>from</th><th>to</th><th>total change</th><th>mean annual rate</th>"
        f"<th>largest retreat between two fronts</th></tr><tr><td>{summary.first.date}</td>"
        f"<td>{summary.last.date}</td><td>{fmt(summary.total_m, ' m')}</td><td>{rate}</td>"
        f"<td>{retreat}</td></tr></table><p>Measure: {key.replace('_', ' ')}.</p>"
    )


def _cell(value) -> str:
    if isinstance(value, float):
        return fmt(value)
    return "–" if value is None or value == "" else html.escape(str(value))


def _rows_html(rows: Sequence[Row]) -> str:
    columns = ("date", "image_id", "qual_flag", "box_position_m", "centreline_position_m")
    columns += ("change_m", "rate_m_per_yr", "warning")
    head = "".join(f"<th>{name}</th>" for name in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(getattr(r, name))}</td>" for name in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _screened_html(result: Result, glacier: str) -> str:
    """The fronts screening marked that were left out, with their reasons."""
    fronts = [f for f in result.screened if f.glacier_id == glacier]
    if not fronts:
        return ""
    items = "".join(
        f"<tr><td>{_cell(f.date)}</td><td>{_cell(f.image_id)}</td><td>{_cell(f.screen)}</td></tr>"
        for f in fronts
    )
    return (
        f"<p>{len(fronts)} screened front(s) left out (KEEP_SCREENED measures them):</p>"
        f"<table><tr><th>date</th><th>image_id</th><th>screen</th></tr>{items}</table>"
    )


def write_terminus_report(path: str, result: Result, overwrite: bool = False) -> None:
    """The report of ``result`` (every glacier), written atomically."""
    sections = []
    for glacier, method in result.methods.items():
        rows = [r for r in result.rows if r.glacier_id == glacier]
        key = f"{method}_position_m"
        sections.append(
            f"<h2>{html.escape(glacier or '(no glacier id)')}</h2>"
            f"{_summary_html(summarize(rows, key), key)}{series_svg(rows, key)}"
            f"<p>{_legend(rows)}</p>{_rows_html(rows)}{_screened_html(result, glacier)}"
        )
    unmeasured = sorted({r.glacier_id for r in result.rows} - set(result.methods))
    if unmeasured:
        sections.append(
            f"<p>Not measured (no box or centreline): {html.escape(', '.join(unmeasured))}</p>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Terminus change</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:right}}
</style></head><body><h1>Terminus change</h1>{METHODS}<ul>{notes}</ul>
{"".join(sections)}</body></html>"""
    with rasters.atomic_output(path, overwrite) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(page)
