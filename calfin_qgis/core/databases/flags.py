"""Quality flags: ours and CALFIN's share numbers but not meanings.

Ours (``core.schema``): 0 manual, 3 manual edit of an automatic pick, 10 automatic, 13
automatic with low confidence. CALFIN's (and, as we read TermPicks, its database's): 0
manual, 3 manual on a Landsat 7 SLC-off scene, 10 automatic, 13 automatic on SLC-off.

The one mapping used everywhere: a database's flag becomes ours by its first digit (manual
0, automatic 10; SLC-off is not a quality of the pick but of the scene, and stays
recoverable from sensor and date); ours becomes CALFIN's by the same digit plus 3 on an
SLC-off scene. Both are kept: a front read from a database carries the flag as read in
``src_qual_flag``, and an export carries ours in ``cq_flag`` after the database's fields,
so that reading it back restores 3 and 13.
"""

from __future__ import annotations

import datetime

from ..schema import QUAL_AUTO, QUAL_MANUAL

SLC_FAILURE = datetime.date(2003, 5, 31)
"""Landsat 7's scan-line corrector failed this day: later LE07 scenes are SLC-off."""

SLC_OFF_OFFSET = 3


def slc_off(sensor: str | None, date: datetime.date | None) -> bool:
    return (sensor or "").upper() == "LE07" and date is not None and date > SLC_FAILURE


def from_database(flag: int | None) -> int | None:
    """CALFIN/TermPicks flag → ours: 0-9 manual (0), 10 and above automatic (10)."""
    if flag is None:
        return None
    return QUAL_AUTO if int(flag) >= QUAL_AUTO else QUAL_MANUAL


def to_database(flag: int | None, sensor: str | None, date: datetime.date | None) -> int:
    """Ours → CALFIN's: manual (0, 3) → 0, automatic (10, 13) → 10; +3 on an SLC-off scene.
    A front without a flag counts as automatic."""
    base = QUAL_MANUAL if flag is not None and int(flag) < QUAL_AUTO else QUAL_AUTO
    return base + (SLC_OFF_OFFSET if slc_off(sensor, date) else 0)
