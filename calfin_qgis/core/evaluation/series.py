"""A series compared with a database: per glacier, each date present in both, our front's
distance from theirs and its bias (ahead +, behind -), and the series' mean bias, for the
table and the report."""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..svg import fmt
from .metrics import ImageScore


@dataclass(frozen=True)
class SeriesRow:
    glacier_id: str
    date: datetime.date | None
    key: str
    how: str
    mean_m: float | None
    bias_m: float | None


def series_rows(
    scores: Sequence[ImageScore],
    glacier_date: Mapping[str, tuple[str, datetime.date | None]],
    how: Mapping[str, str],
) -> list[SeriesRow]:
    """The scored pairs that have a glacier and a date, by glacier and date."""
    rows = []
    for s in scores:
        glacier, date = glacier_date.get(s.image_id, ("", None))
        if not glacier or date is None or not s.found:
            continue
        mean_m = s.mean_px * s.pixel_size_m if s.pixel_size_m else None
        rows.append(SeriesRow(glacier, date, s.image_id, how.get(s.image_id, ""), mean_m, s.bias_m))
    return sorted(rows, key=lambda r: (r.glacier_id, r.date))


def mean_bias(rows: Sequence[SeriesRow]) -> float | None:
    """The series' mean bias in metres (None when no pair has one)."""
    values = [r.bias_m for r in rows if r.bias_m is not None and np.isfinite(r.bias_m)]
    return float(np.mean(values)) if values else None


def series_html(rows: Sequence[SeriesRow]) -> str:
    """The report's section: one table per glacier, its mean bias in the caption."""
    if not rows:
        return ""
    tables = []
    for glacier in sorted({r.glacier_id for r in rows}):
        mine = [r for r in rows if r.glacier_id == glacier]
        bias = mean_bias(mine)
        side = "" if bias is None else " (ours ahead)" if bias > 0 else " (ours behind)"
        body = "".join(
            f"<tr><td>{r.date.isoformat()}</td><td>{html.escape(r.how)}</td>"
            f"<td>{fmt(r.mean_m)}</td><td>{fmt(r.bias_m)}</td></tr>"
            for r in mine
        )
        tables.append(
            f"<table><caption>{html.escape(glacier)}: {len(mine)} date(s), mean bias "
            f"{fmt(bias)} m{side}</caption><tr><th>date</th><th>paired by</th>"
            f"<th>mean distance m</th><th>bias m</th></tr>{body}</table>"
        )
    return (
        "<h2>Series against the reference, by glacier and date</h2><p>Per date in both: the "
        "mean distance between our front and theirs, and the bias, our front's mean signed "
        "distance from theirs (+ ahead of their front, - behind it; where a glacier polygon "
        "closes both fronts).</p>" + "".join(tables)
    )
