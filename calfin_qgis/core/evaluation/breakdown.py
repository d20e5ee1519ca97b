"""Error breakdown by glacier, sensor, season and Landsat 7 SLC state, from image ids alone.

The CALFIN paper's error analysis asks where a model fails: on which glacier, sensor,
season, and whether Landsat 7's failed scan-line corrector (SLC-off stripes since 31 May
2003) matters. Every key comes from the image id (FrontLearning, CALFIN, Landsat and
Sentinel names; dates through :mod:`naming`), so fronts need no metadata to be grouped.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..products.naming import scene_date, scene_sensor
from .metrics import ImageScore, Summary, summarize

GLACIER_PATH_ROWS = {
    "jakobshavn": ("008011", "009011", "010011"),
    "kangerlussuaq": ("229012", "230012", "231012"),
    "sverdrup": ("020007", "021006", "021007", "022006", "023006", "024006"),
}
"""The glacier of each WRS-2 path/row of the FrontLearning subsets (Mohajerani et al. 2019).
A whole Landsat scene of such a path/row holds other glaciers too: for ids that are not
FrontLearning subsets, the glacier by path/row is a guess that a CALFIN-style glacier
prefix (``Helheim_LC08_...``) overrides."""
GLACIERS = tuple(GLACIER_PATH_ROWS)

SLC_FAILURE = datetime.date(2003, 5, 31)
"""Landsat 7's scan-line corrector failed on this day: scenes acquired after it are SLC-off."""

SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "winter", 4: "spring", 5: "spring"}
SEASONS |= {6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}
"""Calendar months of the Arctic year as issue 14 defines them: winter is December to March
(low or no sun, melange frozen in front of the glacier, the scenes a front is hardest to see
in), spring April-May (the sun back, melange breaking up), summer June-August (melt,
open water), autumn September-November (low sun again). Northern-hemisphere months: an
Antarctic scene gets the label of its calendar month, not of its own season."""

GROUP_KEYS = ("glacier", "sensor", "season", "slc")

_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9-]*?)_(?:L[COTEM]0\d|S[12][A-D])_")


@dataclass(frozen=True)
class ImageGroups:
    """The group keys of one image; "" where the id does not tell (or, for ``slc``, where the
    sensor is not Landsat 7)."""

    glacier: str
    sensor: str
    season: str
    slc: str


def glacier_of(image_id: str) -> str:
    """The glacier: a CALFIN-style name prefix (lower case), else the FrontLearning glacier of
    the id's WRS-2 path/row, else ""."""
    if match := _PREFIX.match(image_id):
        return match.group(1).lower()
    _, path_row = scene_sensor(image_id)
    return next((g for g, rows in GLACIER_PATH_ROWS.items() if path_row in rows), "")


def groups_of(image_id: str) -> ImageGroups:
    """Glacier, sensor (LT05, LE07, LC08, S2A, ...), season and SLC state ("on"/"off") of an id."""
    sensor, _ = scene_sensor(image_id)
    date = scene_date(image_id)
    slc = ""
    if sensor == "LE07" and date is not None:
        slc = "off" if date > SLC_FAILURE else "on"
    return ImageGroups(
        glacier=glacier_of(image_id),
        sensor=sensor,
        season=SEASONS[date.month] if date else "",
        slc=slc,
    )


@dataclass(frozen=True)
class GroupSummary:
    """The pooled figures (n, mean, median, no-front: :class:`metrics.Summary`) of the images
    whose ``key`` is ``value``."""

    key: str
    value: str
    summary: Summary


def breakdown(scores: Sequence[ImageScore], keys: Sequence[str] = GROUP_KEYS) -> list[GroupSummary]:
    """Per key and group value, the images' scores pooled as for a whole data set (CALFIN's
    per-pixel distances). Groups come in key order, values sorted; images whose key is
    unknown ("") are in no group of that key, so the groups of one key may not add up to all
    images."""
    unknown = set(keys) - set(GROUP_KEYS)
    if unknown:
        raise ValueError(f"unknown group keys {sorted(unknown)}; choose from {GROUP_KEYS}")
    groups = [(s, groups_of(s.image_id)) for s in scores]
    out = []
    for key in keys:
        values = sorted({getattr(g, key) for _, g in groups} - {""})
        for value in values:
            members = [s for s, g in groups if getattr(g, key) == value]
            out.append(GroupSummary(key, value, summarize(members)))
    return out
