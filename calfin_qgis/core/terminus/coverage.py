"""The record's coverage at a glance (as CALFIN's spatial/temporal coverage figure): how many
fronts each glacier has in each year, so that gaps are seen before any trend."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

from .table import Row


def coverage(rows: Sequence[Row]) -> tuple[list[str], list[int], Counter]:
    """(glaciers, years from the first to the last, (glacier, year) → fronts used)."""
    counts: Counter = Counter()
    for row in rows:
        if row.date is not None:
            counts[(row.glacier_id, row.date.year)] += row.n_fronts
    glaciers = sorted({row.glacier_id for row in rows})
    found = [year for _, year in counts]
    years = list(range(min(found), max(found) + 1)) if found else []
    return glaciers, years, counts


def _shade(count: int, most: int) -> str:
    """White to dark blue with the count; a year without fronts is pale red."""
    if not count:
        return "#fde0dd"
    level = 0.25 + 0.75 * count / most
    channel = round(255 * (1 - level * 0.6))
    return f"rgb({channel},{channel},255)"


def coverage_html(rows: Sequence[Row]) -> str:
    """The glacier × year grid, with the count in each cell and the empty years marked."""
    glaciers, years, counts = coverage(rows)
    if not years:
        return "<p>No dated front: no coverage to show.</p>"
    most = max(counts.values())
    head = "".join(f'<th class="year">{year}</th>' for year in years)
    body = []
    for glacier in glaciers:
        cells = "".join(
            f'<td style="background:{_shade(counts[(glacier, year)], most)}" '
            f'title="{html.escape(glacier)} {year}: {counts[(glacier, year)]} front(s)">'
            f"{counts[(glacier, year)] or ''}</td>"
            for year in years
        )
        body.append(f"<tr><th>{html.escape(glacier or '(no glacier id)')}</th>{cells}</tr>")
    gaps = sum(not counts[(g, y)] for g in glaciers for y in years)
    return (
        '<h2>Coverage</h2><table class="coverage"><tr><th>glacier</th>'
        f"{head}</tr>{''.join(body)}</table><p>Fronts used per glacier and year; "
        f"{gaps} glacier-year(s) without a front (pale red).</p>"
    )
