"""Detected fronts paired with reference fronts: by image id, else by glacier and date (a
database's fronts rarely carry our scene ids: CALFIN's ImageID is the product id without the
band, TermPicks and AutoTerm have none). Each pair's key says how it was made."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import InputError
from ..products.naming import strip_suffix

BY_IMAGE = "image id"
BY_GLACIER_DATE = "glacier and date"


def id_key(value) -> str | None:
    """An image id to pair fronts by: none for empty, 7.0 reads as 7, a trailing _Subset or
    _Front (FrontLearning's file names) is dropped."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return strip_suffix(text) or None


@dataclass
class Pairs:
    """Lines by pair key, how each key was paired, and the reference masks by key."""

    detected: dict[str, list] = field(default_factory=dict)
    reference: dict[str, list] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    glacier_date: dict[str, tuple[str, datetime.date | None]] = field(default_factory=dict)
    masks: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> str:
        """'3 by image id, 2 by glacier and date' of the paired keys."""
        tally = defaultdict(int)
        for key in self.reference:
            if key in self.detected:
                tally[self.how[key]] += 1
        return ", ".join(f"{n} by {how}" for how, n in tally.items()) or "none"


def _glacier_date_key(glacier: str, date: datetime.date) -> str:
    return f"{glacier} {date.isoformat()}"


def pair_fronts(
    detected: Sequence[dict], reference: Sequence[dict], database: bool = False
) -> Pairs:
    """Pair front records (``core.databases.read``). A reference of the detected scenes
    (``database`` False) pairs by image id, and a reference front without a detection counts
    as 'no front'. A database's fronts pair by image id, else by glacier and date, and those
    that pair with nothing are left out, with a note."""
    by_image: dict[str, list] = defaultdict(list)
    by_day: dict[tuple[str, datetime.date], list[str]] = defaultdict(list)
    no_id = 0
    for record in detected:
        key = id_key(record.get("image_id"))
        if key is None:
            no_id += 1
            continue
        by_image[key].append(record["geometry"])
        if record.get("glacier_id") and record.get("date"):
            by_day[(record["glacier_id"], record["date"])].append(key)
    pairs, used, left_out = Pairs(), set(), 0
    for record in reference:
        key, how = id_key(record.get("image_id")), BY_IMAGE
        day = (record.get("glacier_id"), record.get("date"))
        if database and key not in by_image and day in by_day:
            how, key = BY_GLACIER_DATE, _glacier_date_key(*day)
            used.update(by_day[day])
            pairs.detected[key] = [g for i in by_day[day] for g in by_image[i]]
        elif key is None or (key not in by_image and database):
            left_out += 1
            continue
        pairs.reference.setdefault(key, []).append(record["geometry"])
        pairs.how[key] = how
        pairs.glacier_date[key] = (day[0] or "", day[1])
        if record.get("mask") is not None:
            previous = pairs.masks.get(key)
            pairs.masks[key] = (
                record["mask"] if previous is None else previous.union(record["mask"])
            )
    for key, lines in by_image.items():
        if key not in used and key not in pairs.detected:
            pairs.detected[key] = lines
    if no_id:
        pairs.notes.append(f"{no_id} detected front(s) have no image id and are left out.")
    if left_out:
        pairs.notes.append(
            f"{left_out} reference front(s) share no image id, nor glacier and date, with a "
            "detected front: left out."
        )
    if database and reference and detected and not set(pairs.reference) & set(pairs.detected):
        sample_d, sample_r = detected[0], reference[0]
        raise InputError(
            "No detected front shares an image id, or a glacier and a date, with a reference "
            f"front (detected e.g. '{sample_d.get('image_id')}', glacier "
            f"'{sample_d.get('glacier_id')}' on {sample_d.get('date')}; reference e.g. "
            f"'{sample_r.get('image_id')}', glacier '{sample_r.get('glacier_id')}' on "
            f"{sample_r.get('date')}). Check the id field, and give GLACIER_MAP when the "
            "reference numbers its glaciers."
        )
    return pairs


def matching_references(
    references: Sequence[dict], image_id: str, glacier_id: str, date: datetime.date | None
) -> tuple[list[dict], str]:
    """The reference fronts of one front under review, and how they paired: by image id,
    else by glacier and date (as ``pair_fronts`` pairs a database's fronts)."""
    key = id_key(image_id)
    same = [r for r in references if key is not None and id_key(r.get("image_id")) == key]
    if same:
        return same, BY_IMAGE
    if glacier_id and date:
        same = [r for r in references if (r.get("glacier_id"), r.get("date")) == (glacier_id, date)]
    return same, BY_GLACIER_DATE if same else ""
