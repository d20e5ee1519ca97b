"""A self-contained HTML report of terminus change: the glacier × year coverage grid, then per
glacier a summary and one time-series plot of every computed method.

Inline SVG (``svg`` helpers, as the evaluation report), so it opens in any browser. The page
is built from small pieces (``_glacier_section``: summary, plot, legend, table), each of
one glacier's rows.
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
from .coverage import coverage_html
from .table import SHORT_INTERVAL_DAYS, Result, Row

QUAL_STYLE = {
    QUAL_MANUAL: ("#08306b", "0 manual"),
    QUAL_MANUAL_EDITED: ("#4292c6", "3 manually edited"),
    QUAL_AUTO: ("#f16913", "10 automatic"),
    QUAL_AUTO_LOW_CONFIDENCE: ("#fdae6b", "13 automatic, low confidence"),
}
OTHER_STYLE = ("#969696", "other / none")

METHOD_STYLE = {
    "box_position_m": ("#000000", "box"),
    "curvilinear_box_position_m": ("#1b9e77", "curvilinear box"),
    "centreline_position_m": ("#7570b3", "centreline"),
    "extrapolated_centreline_position_m": ("#d95f02", "extrapolated centreline"),
    "multi_centreline_position_m": ("#e7298a", "multi-centreline"),
}
UNUSUAL = "#e31a1c"

METHODS = f"""<p>Positions grow downstream from the upstream end of the box or centreline: a
retreat is a negative change. <b>Box</b> (rectilinear box, Moon &amp; Joughin 2008, JGR 113,
F02022): the area of the box between its upstream edge and the front, divided by the box's
mean width. <b>Curvilinear box</b> (Lea 2018, ESurf 6, 551–561): the same in a box of
BOX_WIDTH built along the centreline, so a bending fjord is measured along its axis.
<b>Centreline</b> (Lea, Mair &amp; Rea 2014, J. Glaciol. 60): the distance along the
centreline to its first crossing with the front. <b>Extrapolated centreline</b> (Lea 2018):
the mean, over points along the front, of the centreline distance interpolated to each
point by inverse distance weighting. <b>Multi-centreline</b> (Lea 2018): the mean over
lines parallel to the centreline across the box. A front that stops short of a box's sides
is closed to them first (extended_m). Change and rate use the chosen method (bold line);
the rate is to the previous measured date, and one over less than {SHORT_INTERVAL_DAYS}
days beyond the glacier's usual range is ringed in red. Several fronts on one date are one
position (their union).</p>"""


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


def series_svg(
    rows: Sequence[Row], keys: Sequence[str], chosen: str, width: int = 680, height: int = 300
) -> str:
    """Position against date of each method in ``keys``, joined in date order; the
    ``chosen`` one's points coloured by qual_flag, its unusual rates ringed."""
    series = {key: measured(rows, key) for key in keys}
    points = [row for key in keys for row in series[key]]
    if not points:
        return "<p>No front could be measured: nothing to plot.</p>"
    left, right, top, bottom = 70, 15, 15, 45
    dates = [r.date for r in points]
    xticks = date_ticks(min(dates), max(dates))
    values = [getattr(r, key) for key in keys for r in series[key]]
    yticks = nice_ticks(min(values), max(values), 5)
    x0 = min(xticks[0][0], _decimal_year(min(dates)))
    x1 = max(xticks[-1][0], _decimal_year(max(dates)))
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(year: float) -> float:
        return left + (year - x0) / (x1 - x0) * (width - left - right)

    def sy(value: float) -> float:
        return top + (yticks[-1] - value) / (yticks[-1] - yticks[0]) * (height - top - bottom)

    body = _axes(xticks, yticks, sx, sy, (left, right, top, bottom), width, height)
    for key in sorted(keys, key=lambda k: k == chosen):  # the chosen one on top
        xy = [(sx(_decimal_year(r.date)), sy(getattr(r, key))) for r in series[key]]
        colour, _ = METHOD_STYLE[key]
        body.append(polyline(xy, colour, 2.5 if key == chosen else 1))
        for (x, y), row in zip(xy, series[key], strict=True):
            body.append(_marker(x, y, row, key, key == chosen))
    return svg(width, height, "".join(body))


def _axes(xticks, yticks, sx, sy, margins, width: int, height: int) -> list[str]:
    left, right, top, bottom = margins
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
    middle = (top + height - bottom) / 2
    body.append(
        text(14, middle, "position (m)", anchor="middle", transform=f"rotate(-90 14 {middle:.1f})")
    )
    return body


def _marker(x: float, y: float, row: Row, key: str, chosen: bool) -> str:
    """A point: the chosen method's coloured by qual_flag (ringed where its rate is
    unusual), the others small dots in their method's colour."""
    value = getattr(row, key)
    tip = f"{row.date} {METHOD_STYLE[key][1]} {value:.0f} m, qual_flag {row.qual_flag}"
    if not chosen:
        colour = METHOD_STYLE[key][0]
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    colour, _ = QUAL_STYLE.get(row.qual_flag, OTHER_STYLE)
    ring = ""
    if row.unusual_rate:
        tip += f", rate {row.rate_m_per_yr:.0f} m/yr beyond the usual range"
        ring = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="{UNUSUAL}"/>'
    return ring + (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="#000" '
        f'stroke-width="0.5"><title>{html.escape(tip)}</title></circle>'
    )


def _legend(rows: Sequence[Row], keys: Sequence[str], chosen: str) -> str:
    flags = sorted({r.qual_flag for r in rows}, key=lambda f: (f is None, f or 0))
    items = (QUAL_STYLE.get(flag, OTHER_STYLE) for flag in flags)
    flags_html = " ".join(
        f'<span style="color:{colour}">●</span> {html.escape(name)}' for colour, name in items
    )
    methods = " ".join(
        f'<span style="color:{METHOD_STYLE[k][0]}">━</span> '
        + (f"<b>{METHOD_STYLE[k][1]}</b>" if k == chosen else METHOD_STYLE[k][1])
        for k in keys
    )
    unusual = any(r.unusual_rate for r in rows)
    ring = f' <span style="color:{UNUSUAL}">○</span> unusual short-interval rate' if unusual else ""
    return f"{methods}<br>qual_flag: {flags_html}{ring}"


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


def _methods_html(rows: Sequence[Row], keys: Sequence[str]) -> str:
    """Total change and mean rate by every computed method, side by side."""
    cells = []
    for key in keys:
        summary = summarize(rows, key)
        total = fmt(summary.total_m, " m") if summary else "–"
        rate = fmt(summary.rate_m_per_yr, " m/yr") if summary else "–"
        count = len(measured(rows, key))
        cells.append(
            f"<tr><td>{METHOD_STYLE[key][1]}</td><td>{count}</td><td>{total}</td>"
            f"<td>{rate}</td></tr>"
        )
    return (
        "<table><tr><th>method</th><th>dates measured</th><th>total change</th>"
        f"<th>mean annual rate</th></tr>{''.join(cells)}</table>"
    )


def _rows_html(rows: Sequence[Row], keys: Sequence[str]) -> str:
    columns = ("date", "image_id", "qual_flag", *keys, "extended_m")
    columns += ("change_m", "rate_m_per_yr", "warning")
    head = "".join(f"<th>{name}</th>" for name in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(getattr(r, name))}</td>" for name in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _glacier_section(glacier: str, rows: Sequence[Row], keys: Sequence[str], chosen: str):
    return (
        f"<h2>{html.escape(glacier or '(no glacier id)')}</h2>"
        f"{_summary_html(summarize(rows, chosen), chosen)}{_methods_html(rows, keys)}"
        f"{series_svg(rows, keys, chosen)}<p>{_legend(rows, keys, chosen)}</p>"
        f"{_rows_html(rows, keys)}"
    )


def write_terminus_report(path: str, result: Result, overwrite: bool = False) -> None:
    """The report of ``result`` (every glacier), written atomically."""
    sections = []
    for glacier, method in result.methods.items():
        rows = [r for r in result.rows if r.glacier_id == glacier]
        keys = [f"{m}_position_m" for m in result.computed.get(glacier, (method,))]
        sections.append(_glacier_section(glacier, rows, keys, f"{method}_position_m"))
    unmeasured = sorted({r.glacier_id for r in result.rows} - set(result.methods))
    if unmeasured:
        sections.append(
            "<p>Not measured (no box, centreline or usable glacier polygon): "
            f"{html.escape(', '.join(unmeasured))}</p>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Terminus change</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:right}}
table.coverage td{{min-width:1.6em;text-align:center}}th.year{{font-size:10px}}
</style></head><body><h1>Terminus change</h1>{coverage_html(result.rows)}{METHODS}<ul>{notes}</ul>
{"".join(sections)}</body></html>"""
    with rasters.atomic_output(path, overwrite) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(page)
