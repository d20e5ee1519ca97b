"""The review queue and status rules, free of Qt so that they are fast to test and easy to read.

The dock shows one front at a time out of a filtered, sorted view of all fronts; reviewing a
front can drop it out of the view (e.g. when only unreviewed fronts are shown), in which case the
front that slides into its place becomes current, as a labeller expects after "accept".
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from calfin_qgis.core.products.naming import scene_id
from calfin_qgis.core.schema import QUAL_MANUAL, QUAL_MANUAL_EDITED, REJECTED

UNREVIEWED = "unreviewed"
ACCEPTED = "accepted"
EDITED = "edited"
REDRAWN = "redrawn"
UNSURE = "unsure"
"""Looked at but not decided: skipped for now, to come back to (often with a comment)."""
STATUSES = (UNREVIEWED, ACCEPTED, REJECTED, EDITED, REDRAWN, UNSURE)
OPEN_STATUSES = (UNREVIEWED, UNSURE)
"""Statuses still waiting for a decision: not counted as reviewed."""
KEPT_STATUSES = (ACCEPTED, EDITED, REDRAWN)
"""Statuses whose geometry is a checked front, fit for export and retraining."""

REVIEW_FIELDS: tuple[tuple[str, str], ...] = (
    ("status", "str"),
    ("reviewed", "int"),
    ("reviewer", "str"),
    ("reviewed_at", "str"),
    ("comment", "str"),
)
"""Added to a front layer that lacks them when its review starts (reviewed_at is ISO 8601)."""

SORT_KEYS = ("fid", "date", "confidence", "suspicion")
SCREEN_OK = ("", "ok", "reviewed")
"""Screening values (``core.screening``) of a front that is no suspect."""
SCREEN_REVIEWED = "reviewed"
"""What ``screen`` becomes once a labeller accepts, edits or redraws a screened front."""


@dataclass(frozen=True)
class FrontRecord:
    """What the queue needs of one front feature."""

    fid: int
    image_id: str = ""
    date: datetime.date | None = None
    qual_flag: int | None = None
    confidence: float | None = None
    status: str = UNREVIEWED
    comment: str = ""
    glacier_id: str = ""
    screen: str = ""
    """Screening's verdict: '', ok, reviewed or the rules the front fails (';'-separated)."""
    uncertainty_m: float | None = None

    @property
    def screened(self) -> bool:
        """A suspect: screening marked it and no labeller has decided on it since."""
        return self.screen not in SCREEN_OK

    def trust_text(self) -> str:
        """The front's uncertainty and screening verdict, for the dock's front label."""
        parts = []
        if self.uncertainty_m is not None:
            parts.append(f"uncertainty {self.uncertainty_m:.0f} m")
        if self.screened:
            parts.append(f'<span style="color:#d7301f">screened: {self.screen}</span>')
        elif self.screen:
            parts.append(f"screen {self.screen}")
        return "<br>" + ", ".join(parts) if parts else ""

    @property
    def suspicion(self) -> tuple[int, float]:
        """Sort key, most suspect first: screened ones, then by uncertainty (largest first;
        none: last)."""
        return (0 if self.screened else 1, -(self.uncertainty_m or 0.0))

    @property
    def scene(self) -> str:
        """The scene picked on, as ``naming.scene_id`` names it ("X_Subset" and "X" are one)."""
        return scene_id(self.image_id) if self.image_id else ""


@dataclass(frozen=True)
class Review:
    """Attribute values that a review action writes."""

    status: str
    qual_flag: int | None
    reviewed: int = 1


def review_for(action: str, qual_flag: int | None) -> Review:
    """The status and quality flag after ``action`` (a status) on a front flagged ``qual_flag``.

    Accepting or rejecting keeps the flag (an auto pick stays 10/13); an edit makes it 3, except
    on a hand-drawn front, which stays 0; a redraw makes it 0. "Unsure" keeps the flag and the
    front counts as not reviewed yet.
    """
    if action in (ACCEPTED, REJECTED):
        return Review(action, qual_flag)
    if action == UNSURE:
        return Review(UNSURE, qual_flag, reviewed=0)
    if action == EDITED:
        return Review(EDITED, QUAL_MANUAL if qual_flag == QUAL_MANUAL else QUAL_MANUAL_EDITED)
    if action == REDRAWN:
        return Review(REDRAWN, QUAL_MANUAL)
    if action == UNREVIEWED:
        return Review(UNREVIEWED, qual_flag, reviewed=0)
    raise ValueError(f"Unknown review action {action!r}; expected one of {STATUSES}.")


def _sort_value(record: FrontRecord, key: str) -> tuple:
    value = getattr(record, key)
    # Missing values sort last in either direction; fid breaks ties so that order is stable.
    return (value is None, value if value is not None else 0, record.fid)


class ReviewQueue:
    """All fronts of a layer, the filtered and sorted view of them, and the current one."""

    def __init__(self, records: Iterable[FrontRecord] = ()) -> None:
        self._records: dict[int, FrontRecord] = {}
        self._statuses: frozenset[str] | None = None
        self._qual_flags: frozenset[int] | None = None
        self._screened_only = False
        self._sort_key = "fid"
        self._descending = False
        self._view: list[int] = []
        self._pos = -1
        self.reset(records)

    # --- content -------------------------------------------------------------------------

    def reset(self, records: Iterable[FrontRecord]) -> None:
        self._records = {r.fid: r for r in records}
        self._pos = -1
        self._rebuild(None)

    def record(self, fid: int) -> FrontRecord | None:
        return self._records.get(fid)

    def update(self, record: FrontRecord) -> None:
        """Replace a record (after an edit or an undo); the current front keeps its place."""
        self._records[record.fid] = record
        self._rebuild(self.current_fid)

    def set_status(self, fid: int, status: str, qual_flag: int | None) -> None:
        record = self._records[fid]
        self.update(replace(record, status=status, qual_flag=qual_flag))

    def remove(self, fid: int) -> None:
        self._records.pop(fid, None)
        self._rebuild(self.current_fid)

    # --- view ----------------------------------------------------------------------------

    def set_filter(
        self,
        statuses: Iterable[str] | None = None,
        qual_flags: Iterable[int] | None = None,
        screened_only: bool = False,
    ) -> None:
        """Show only these statuses / flags (None shows all), only screened fronts."""
        self._screened_only = screened_only
        self._statuses = None if statuses is None else frozenset(statuses)
        self._qual_flags = None if qual_flags is None else frozenset(qual_flags)
        unknown = (self._statuses or frozenset()) - set(STATUSES)
        if unknown:
            raise ValueError(f"Unknown status(es) {sorted(unknown)}; expected {STATUSES}.")
        self._rebuild(self.current_fid)

    def set_sort(self, key: str, descending: bool = False) -> None:
        if key not in SORT_KEYS:
            raise ValueError(f"Cannot sort by {key!r}; choose one of {SORT_KEYS}.")
        self._sort_key = key
        self._descending = descending
        self._rebuild(self.current_fid)

    @property
    def view(self) -> list[int]:
        """Feature ids shown, in order."""
        return list(self._view)

    def _visible(self, record: FrontRecord) -> bool:
        if self._screened_only and not record.screened:
            return False
        if self._statuses is not None and record.status not in self._statuses:
            return False
        return self._qual_flags is None or record.qual_flag in self._qual_flags

    def _rebuild(self, keep_fid: int | None) -> None:
        shown = [r for r in self._records.values() if self._visible(r)]
        shown.sort(key=lambda r: _sort_value(r, self._sort_key))
        if self._descending:
            # Reverse the values but keep missing ones last.
            present = [r for r in shown if getattr(r, self._sort_key) is not None]
            missing = [r for r in shown if getattr(r, self._sort_key) is None]
            shown = present[::-1] + missing
        self._view = [r.fid for r in shown]
        if keep_fid in self._view:
            self._pos = self._view.index(keep_fid)
        elif not self._view:
            self._pos = -1
        else:
            # The current front left the view: the next one slides into its place.
            self._pos = min(max(self._pos, 0), len(self._view) - 1)

    # --- navigation ----------------------------------------------------------------------

    @property
    def position(self) -> int:
        """Index of the current front in the view; -1 when the view is empty."""
        return self._pos

    @property
    def current_fid(self) -> int | None:
        return self._view[self._pos] if 0 <= self._pos < len(self._view) else None

    @property
    def current(self) -> FrontRecord | None:
        fid = self.current_fid
        return None if fid is None else self._records[fid]

    def go_to(self, fid: int) -> bool:
        """Make ``fid`` current if it is in the view."""
        if fid not in self._view:
            return False
        self._pos = self._view.index(fid)
        return True

    def next(self) -> bool:
        if self._pos + 1 >= len(self._view):
            return False
        self._pos += 1
        return True

    def previous(self) -> bool:
        if self._pos <= 0:
            return False
        self._pos -= 1
        return True

    def records(self) -> list[FrontRecord]:
        """All fronts of the layer, shown or not."""
        return list(self._records.values())

    def same_scene(self, fid: int) -> list[int]:
        """The other fronts picked on the scene of ``fid`` (none when it has no image_id)."""
        scene = self._records[fid].scene
        if not scene:
            return []
        return [r.fid for r in self._records.values() if r.scene == scene and r.fid != fid]

    def neighbour_dates(self, fid: int) -> tuple[list[int], list[int]]:
        """The fronts of the same glacier on the nearest earlier and the nearest later date
        (other scenes only), for comparing a front with its neighbours in time."""
        record = self._records[fid]
        return self.neighbours(record.glacier_id, record.date, record.scene)

    def neighbours(
        self, glacier_id: str, date: datetime.date | None, scene: str = ""
    ) -> tuple[list[int], list[int]]:
        """The fronts of ``glacier_id`` on the nearest date before and after ``date``, those
        of ``scene`` left out (also for a scene that has no front yet)."""
        if date is None:
            return [], []
        others = [
            r
            for r in self._records.values()
            if r.glacier_id == glacier_id
            and r.date is not None
            and r.date != date
            and (not scene or r.scene != scene)
        ]
        before = [r for r in others if r.date < date]
        after = [r for r in others if r.date > date]
        earlier = max((r.date for r in before), default=None)
        later = min((r.date for r in after), default=None)
        return (
            [r.fid for r in before if r.date == earlier],
            [r.fid for r in after if r.date == later],
        )

    def step_past(self, fid: int) -> None:
        """After reviewing ``fid``: move on, unless it already left the view (and so did we)."""
        if self.current_fid == fid:
            self.next()

    # --- progress ------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Fronts per status over the whole layer (not just the view)."""
        counter = Counter(r.status for r in self._records.values())
        return {status: counter.get(status, 0) for status in STATUSES}

    @property
    def total(self) -> int:
        return len(self._records)

    @property
    def kept(self) -> int:
        """Fronts accepted, edited or redrawn: what the exports write."""
        counts = self.counts()
        return sum(counts[status] for status in KEPT_STATUSES)

    @property
    def reviewed(self) -> int:
        """Fronts with a decision: neither unreviewed nor unsure."""
        counts = self.counts()
        return self.total - sum(counts[status] for status in OPEN_STATUSES)

    @property
    def suspects_left(self) -> int:
        """Screened fronts still waiting for a decision."""
        return sum(r.screened and r.status in OPEN_STATUSES for r in self._records.values())

    def progress_text(self) -> str:
        counts = self.counts()
        per_status = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
        text = f"{self.reviewed} of {self.total} reviewed ({per_status})"
        if any(r.screen for r in self._records.values()):  # a screened layer
            text += f"; {self.suspects_left} suspect(s) left"
        return text

    def glacier_series(self, fid: int) -> list[FrontRecord]:
        """The dated fronts of the glacier of ``fid``, in date order (for the strip)."""
        glacier = self._records[fid].glacier_id
        same = [r for r in self._records.values() if r.glacier_id == glacier and r.date]
        return sorted(same, key=lambda r: (r.date, r.fid))
