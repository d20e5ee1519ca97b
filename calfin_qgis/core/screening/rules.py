"""The screening rules: each a name (written into ``screen``), a source, and a test on one
glacier's fronts in date order.

The rules see a glacier as ``Series``: one value per front (length, sharp turns, distance to
its search polygon's outline) and a distance between any two fronts (their positions in a box
or along a centreline where both have one, else the mean distance between the lines).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..schema import LOW_CONFIDENCE

RULES: dict[str, str] = {
    "length": "AutoTerm (Zhang et al. 2023, The Cryosphere 17:3485): front length outside "
    "Q1 - 1.5 IQR ... Q3 + 1.5 IQR of its glacier and sensor (of its glacier where the sensor "
    "has fewer than 5 fronts), and at least 10 % from its median (fronts of near equal "
    "length would otherwise fence each other out).",
    "smoothness": "AutoTerm: more sharp turning points than Q3 + 2 IQR of its glacier (and at "
    "least 3): points of the line, resampled every 60 m, where it turns by more than 90 deg.",
    "jump": "calfin, after AutoTerm's time-series rule (Q3 + 2 IQR): the front lies further "
    "from the median of the 3 fronts before it and from that of the 3 after it than Q3 + 2 IQR "
    "of these departures over its glacier, than 3 times their median (the series' own noise) "
    "and than its own uncertainty_m; neighbours are fronts within a year of it (further apart, "
    "the distance measures the glacier's change, not the front's error); fronts other rules "
    "caught are nobody's neighbour. A "
    "change that later fronts confirm is kept; the last front of a series has only earlier "
    "ones to agree with.",
    "rate": "calfin: the front moved out and back faster than ice flows (50 m/day, the fastest "
    "known glacier, Jakobshavn Isbrae in 2012: Joughin et al. 2014, The Cryosphere 8:209) plus "
    "both fronts' uncertainty_m, so one of the two moves was an advance no glacier makes.",
    "edge": "calfin: more than half of the front lies within 90 m of its search polygon's "
    "outline: the edge of the search mask, not the ice edge.",
    "short": "calfin: shorter than half of its glacier's median front length: a partial front "
    "(cloud, shadow, a gap in the scene).",
    "uncertain": "calfin: the front's own uncertainty_m is above Q3 + 2 IQR of its glacier's "
    "fronts' (AutoTerm's fence; at least 5 fronts with uncertainty_m) and above 120 m (3 px "
    "of the model's 40 m grid, the most a good front is off): a front the model itself "
    "doubts far more than its usual ones.",
    "confidence": "CALFIN's quality flag 13: the model's mean edge probability along the front "
    "is below 0.5 (field confidence; fronts without it are not checked).",
}
"""Rule name -> where it comes from and what it tests (README, the algorithm's help)."""

MIN_QUARTILES = 5
"""Fronts needed for a rule that takes quartiles over a glacier (or glacier and sensor)."""
NEIGHBOURS = 3
SHARP_TURN_DEG = 90.0
RESAMPLE_M = 60.0
MIN_SHARP = 3
MAX_SPEED_M_PER_DAY = 50.0
EDGE_M = 90.0
EDGE_SHARE = 0.5
SHORT_SHARE = 0.5
LENGTH_FLOOR = 0.1
JUMP_TIMES_MEDIAN = 3.0
JUMP_WINDOW_DAYS = 365
"""A jump's neighbours lie within this of the front: between fronts years apart the distance
is the glacier's change (the first fronts after a gap in the record were flagged as jumps on
Kangerlussuaq and Sverdrup, README 'Screening')."""
UNCERTAIN_FLOOR_M = 120.0
"""3 px of the model's 40 m grid: an uncertainty below it is no suspicion, whatever its rank
in a series of good fronts."""


@dataclass
class Series:
    """One glacier's fronts in date order (undated ones last) and what the rules need."""

    days: list[int | None]
    """Days since 0001-01-01, None without a date."""
    sensors: list[str]
    lengths: np.ndarray
    sharp_turns: np.ndarray
    edge_shares: list[float | None]
    """Share of each front's length near its search polygon's outline; None: no polygon."""
    uncertainty: list[float | None]
    confidence: list[float | None]
    distance: Callable[[int, int], float]


def upper_fence(values: Sequence[float], k: float) -> float:
    q1, q3 = np.percentile(values, [25, 75])
    return q3 + k * (q3 - q1)


def sharp_turns(coordinates: np.ndarray, step: float = RESAMPLE_M) -> int:
    """Points of a line (resampled every ``step``) where it turns by more than SHARP_TURN_DEG."""
    if len(coordinates) < 3:
        return 0
    import shapely

    line = shapely.LineString(coordinates)
    n = max(int(line.length // step), 2)
    points = shapely.get_coordinates(
        shapely.line_interpolate_point(line, np.linspace(0, line.length, n + 1))
    )
    steps = np.diff(points, axis=0)
    steps = steps[np.hypot(*steps.T) > 0]
    heading = np.arctan2(steps[:, 1], steps[:, 0])
    turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
    return int((np.degrees(turn) > SHARP_TURN_DEG).sum())


def length_rule(series: Series, notes: list[str]) -> set[int]:
    """AutoTerm's length fences per sensor (per glacier where a sensor has too few fronts)."""
    fired: set[int] = set()
    everyone = list(range(len(series.lengths)))
    pooled = []
    for sensor in sorted(set(series.sensors)):
        members = [i for i in everyone if series.sensors[i] == sensor]
        if len(members) < MIN_QUARTILES:
            pooled.append(sensor or "no sensor")
            members = everyone
        values = series.lengths[members]
        q1, q3 = np.percentile(values, [25, 75])
        middle, spread = float(np.median(values)), 1.5 * (q3 - q1)
        low = min(q1 - spread, (1 - LENGTH_FLOOR) * middle)
        high = max(q3 + spread, (1 + LENGTH_FLOOR) * middle)
        fired |= {
            i
            for i in members
            if series.sensors[i] == sensor and not low <= series.lengths[i] <= high
        }
    if pooled and len(set(series.sensors)) > 1:
        notes.append(
            f"length: fewer than {MIN_QUARTILES} fronts of {', '.join(pooled)}: compared with "
            "the glacier's fronts of every sensor"
        )
    return fired


def smoothness_rule(series: Series, notes: list[str]) -> set[int]:
    fence = max(upper_fence(series.sharp_turns, 2.0), MIN_SHARP - 0.5)
    return {i for i, n in enumerate(series.sharp_turns) if n > fence}


def short_rule(series: Series, notes: list[str]) -> set[int]:
    limit = SHORT_SHARE * float(np.median(series.lengths))
    return {i for i, length in enumerate(series.lengths) if length < limit}


def edge_rule(series: Series, notes: list[str]) -> set[int]:
    return {i for i, share in enumerate(series.edge_shares) if share and share > EDGE_SHARE}


def uncertain_rule(series: Series, notes: list[str]) -> set[int]:
    known = {i: u for i, u in enumerate(series.uncertainty) if u is not None}
    if len(known) < MIN_QUARTILES:
        if known:  # none at all: the layer-wide note says so
            notes.append(f"uncertain: fewer than {MIN_QUARTILES} fronts with uncertainty_m")
        return set()
    fence = max(upper_fence(list(known.values()), 2.0), UNCERTAIN_FLOOR_M)
    return {i for i, u in known.items() if u > fence}


def confidence_rule(series: Series, notes: list[str]) -> set[int]:
    return {i for i, c in enumerate(series.confidence) if c is not None and c < LOW_CONFIDENCE}


def _dated(series: Series) -> list[int]:
    return [i for i, day in enumerate(series.days) if day is not None]


def departures(series: Series, skip: set[int] = frozenset()) -> dict[int, float]:
    """Each dated front's distance from its neighbours (fronts within JUMP_WINDOW_DAYS of it;
    fronts in ``skip`` are nobody's neighbour): the median distance to the NEIGHBOURS fronts
    before it and that to the ones after it, the smaller of the two; fronts without a
    neighbour have none."""
    dated = _dated(series)
    out = {}
    for k, i in enumerate(dated):

        def near(j: int, i: int = i) -> bool:
            return j not in skip and abs(series.days[j] - series.days[i]) <= JUMP_WINDOW_DAYS

        before = [j for j in dated[:k] if near(j)][-NEIGHBOURS:]
        after = [j for j in dated[k + 1 :] if near(j)][:NEIGHBOURS]
        medians = [np.median([series.distance(i, j) for j in s]) for s in (before, after) if s]
        if medians:
            out[i] = float(min(medians))
    return out


def jump_rule(series: Series, notes: list[str], suspects: set[int] = frozenset()) -> set[int]:
    """Two passes: the second leaves the fronts the first pass (and the shape rules,
    ``suspects``) found out of their neighbours' sets, so that one bad front does not
    make its neighbours look displaced."""
    if len(_dated(series)) < MIN_QUARTILES:
        notes.append(f"jump: fewer than {MIN_QUARTILES} dated fronts: not checked")
        return set()
    gaps = departures(series, suspects)
    alone = len(_dated(series)) - len(gaps)
    if alone:
        notes.append(
            f"jump: {alone} front(s) without another within {JUMP_WINDOW_DAYS} days: not checked"
        )
    fired = _departed(series, gaps) or set()
    if fired:  # again without them: with none, the second pass would repeat the first
        second = _departed(series, departures(series, suspects | fired))
        fired = fired if second is None else second
    return fired


def _departed(series: Series, gaps: dict[int, float]) -> set[int] | None:
    """The fronts whose departure passes the fence of all departures (and their own
    uncertainty); None when too few fronts have one to set a fence."""
    values = list(gaps.values())
    if len(values) < MIN_QUARTILES:
        return None
    fence = max(upper_fence(values, 2.0), JUMP_TIMES_MEDIAN * float(np.median(values)))
    return {i for i, gap in gaps.items() if gap > max(fence, series.uncertainty[i] or 0.0)}


def rate_rule(series: Series, notes: list[str]) -> set[int]:
    dated = _dated(series)
    fired = set()
    for before, i, after in zip(dated, dated[1:], dated[2:], strict=False):
        legs = [
            series.distance(i, j)
            - MAX_SPEED_M_PER_DAY * abs(series.days[i] - series.days[j])
            - (series.uncertainty[i] or 0.0)
            - (series.uncertainty[j] or 0.0)
            for j in (before, after)
        ]
        if min(legs) > 0:
            fired.add(i)
    return fired


SHAPE_CHECKS: dict[str, Callable[[Series, list[str]], set[int]]] = {
    "length": length_rule,
    "smoothness": smoothness_rule,
    "edge": edge_rule,
    "short": short_rule,
    "uncertain": uncertain_rule,
    "confidence": confidence_rule,
}
ORDER = ("length", "smoothness", "jump", "rate", "edge", "short", "uncertain", "confidence")
"""The order of the rule names in ``screen``."""


def fired_rules(series: Series, notes: list[str]) -> list[list[str]]:
    """The names of the rules each front of ``series`` fails (empty: ok)."""
    fired: dict[str, set[int]] = {}
    for name, check in SHAPE_CHECKS.items():
        if name in ("length", "smoothness") and len(series.lengths) < MIN_QUARTILES:
            notes.append(f"{name}: fewer than {MIN_QUARTILES} fronts: not checked")
            continue
        fired[name] = check(series, notes)
    fired["jump"] = jump_rule(series, notes, set().union(*fired.values()))
    fired["rate"] = rate_rule(series, notes)
    return [
        [name for name in ORDER if i in fired.get(name, ())] for i in range(len(series.lengths))
    ]
