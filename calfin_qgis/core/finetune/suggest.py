"""Which scenes a labeller should correct before fine-tuning: the batch's suspects, spread
over the record.

Fine-tuning learns from the scenes it is given. Measured on held-out Jakobshavn with the
validation twin (README, "Teach it your glacier"): after five summer scenes the tuned pair
still found no front on four scenes (three of March, one hazy; in another run it drew
fronts up to 104 px off on such scenes); after the five most suspect scenes, one per fifth
of the record, it found a front on every other scene. So each glacier's scenes (those the
batch looked at: a front, or ``no front``) are split by date into ``count`` spans of the
record, and each span gives its most suspect scene: one without a front first, then a
screened front (``screen``), then the largest ``uncertainty_m``; a front rejected in the
review dock counts as none. Scenes with a front a labeller kept (review ``status``
accepted, edited or redrawn, or ``screen`` = ``reviewed``) are not suggested again.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field

import numpy as np
from osgeo import ogr

from ..errors import InputError
from ..geo import vectors
from ..products.naming import scene_date
from ..schema import REJECTED
from .fronts import KEPT_STATUSES

ogr.UseExceptions()

FRONTS_LAYER = "fronts"
STATUS_LAYER = "status"
NO_FRONT = "no front"
SETTLED = ("ok", "reviewed")
"""``screen`` values that are no suspicion."""


FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("date", "date"),
    ("image_id", "str"),
    ("reason", "str"),
    ("source", "str"),
)
"""The table of suggestions (``core.schema`` kinds), as the CLI and Processing write it."""


@dataclass(frozen=True)
class Suggestion:
    """One scene to correct (draw or fix its front in the review dock)."""

    glacier_id: str
    image_id: str
    date: datetime.date
    reason: str
    source: str
    """The scene's path as the batch read it ('' when the input has no status table)."""


@dataclass
class _Scene:
    glacier_id: str
    image_id: str
    date: datetime.date
    source: str = ""
    no_front: bool = False
    rejected: bool = False
    """A labeller rejected its front: as good as none."""
    reviewed: bool = False
    rules: set[str] = field(default_factory=set)
    uncertainty_m: float | None = None

    def suspicion(self) -> tuple[int, float, datetime.date]:
        """Smallest first: no front, then screened, then by uncertainty (largest first)."""
        rank = 0 if self.no_front or self.rejected else 1 if self.rules else 2
        return rank, -(self.uncertainty_m or 0.0), self.date

    def reason(self) -> str:
        if self.no_front:
            return "no front found"
        if self.rejected:
            return "its front was rejected in review"
        if self.rules:
            return "screened: " + ";".join(sorted(self.rules))
        if self.uncertainty_m is not None:
            return f"largest uncertainty of its span: {self.uncertainty_m:.0f} m"
        return "its span's only candidate"


def _open(path: str | os.PathLike):
    """A batch output: a vector file with a ``fronts`` layer."""
    ds = vectors.open_vector(path, "fronts")
    if ds.GetLayerByName(FRONTS_LAYER) is None:
        raise InputError(
            f"{path} has no '{FRONTS_LAYER}' layer: give the GeoPackage written by "
            "calfin:detect_fronts_batch or 'calfin batch'."
        )
    return ds


def _key(glacier: str | None, image_id: str | None) -> tuple[str, str] | None:
    return (glacier or "", image_id) if image_id else None


def read_scenes(path: str | os.PathLike) -> tuple[dict[tuple[str, str], _Scene], list[str]]:
    """The dated scene × glacier pairs of a batch output, by (glacier_id, image_id), and
    notes on what was left out."""
    ds = _open(path)
    scenes: dict[tuple[str, str], _Scene] = {}
    undated: set[str] = set()

    def scene(glacier: str | None, image_id: str | None) -> _Scene | None:
        key = _key(glacier, image_id)
        date = scene_date(image_id or "")
        if key is None or date is None:
            undated.add(image_id or "(no image_id)")
            return None
        return scenes.setdefault(key, _Scene(key[0], key[1], date))

    status = ds.GetLayerByName(STATUS_LAYER)
    for row in status or []:
        if row["status"] in ("ok", NO_FRONT) and (s := scene(row["glacier_id"], row["image_id"])):
            s.source, s.no_front = row["source"] or "", row["status"] == NO_FRONT
    fronts = ds.GetLayerByName(FRONTS_LAYER)
    names = vectors.field_names(fronts)
    for row in fronts:
        s = scene(row["glacier_id"] if "glacier_id" in names else "", row["image_id"])
        if s is None:
            continue
        screen = (row["screen"] if "screen" in names else None) or "ok"
        review = row["status"] if "status" in names else None
        s.reviewed |= screen == "reviewed" or review in KEPT_STATUSES
        s.rejected |= review == REJECTED
        s.rules |= {n for n in screen.split(";") if n and n not in SETTLED}
        if "uncertainty_m" in names and row["uncertainty_m"] is not None:
            s.uncertainty_m = max(s.uncertainty_m or 0.0, float(row["uncertainty_m"]))
    notes = []
    if status is None:
        notes.append(f"{path} has no status table: scenes without a front are unseen.")
    if undated:
        notes.append(f"{len(undated)} scene(s) without a date in their image id left out.")
    return scenes, notes


def suggest(
    path: str | os.PathLike, count: int = 5, glacier: str | None = None
) -> tuple[list[Suggestion], list[str]]:
    """Up to ``count`` scenes per glacier to correct, in date order, and notes."""
    if count < 1:
        raise InputError(f"COUNT is {count}: ask for at least one scene per glacier.")
    scenes, notes = read_scenes(path)
    by_glacier: dict[str, list[_Scene]] = {}
    for s in scenes.values():
        if not s.reviewed and (glacier is None or s.glacier_id == glacier):
            by_glacier.setdefault(s.glacier_id, []).append(s)
    if glacier is not None and glacier not in by_glacier:
        known = sorted({s.glacier_id for s in scenes.values()})
        raise InputError(
            f"No scene of glacier '{glacier}' to suggest in {path}. Its glaciers: "
            f"{', '.join(known) or 'none'}."
        )
    chosen = []
    for members in by_glacier.values():
        members.sort(key=lambda s: (s.date, s.image_id))
        for span in np.array_split(np.arange(len(members)), min(count, len(members))):
            best = min((members[i] for i in span), key=_Scene.suspicion)
            chosen.append(
                Suggestion(best.glacier_id, best.image_id, best.date, best.reason(), best.source)
            )
    chosen.sort(key=lambda s: (s.glacier_id, s.date))
    return chosen, notes
