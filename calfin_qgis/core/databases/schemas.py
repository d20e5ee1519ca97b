"""Which front database a layer follows, recognised from its field names alone.

Names are compared without case, spaces and underscores (AutoTerm's ``Glacier ID`` is
CALFIN's ``GlacierID``), and a 10-character name is taken for any longer name it begins
(an ESRI shapefile cuts ``uncertainty_m`` to ``uncertaint``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError

OURS = "calfin_qgis"
CALFIN = "calfin"
TERMPICKS = "termpicks"
AUTOTERM = "autoterm"

SHAPEFILE_NAME_LENGTH = 10

CALFIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("GlacierID", "int"),
    ("Center_X", "float"),
    ("Center_Y", "float"),
    ("Latitude", "float"),
    ("Longitude", "float"),
    ("QualFlag", "int"),
    ("Satellite", "str"),
    ("Date", "str"),
    ("ImageID", "str"),
    ("GrnlndcN", "str"),
    ("OfficialN", "str"),
    ("AltName", "str"),
    ("RefName", "str"),
    ("Author", "str"),
)
"""CALFIN level-1 shapefiles (Cheng et al. 2021), lines and ``_closed_`` polygons alike."""

TERMPICKS_FIELDS: tuple[tuple[str, str], ...] = (
    ("GlacierID", "int"),
    ("Date", "str"),
    ("Year", "int"),
    ("Month", "int"),
    ("Day", "int"),
    ("DecDate", "float"),
    ("QualFlag", "int"),
    ("Satellite", "str"),
    ("Author", "str"),
)
"""TermPicks_V2 (Goliber et al. 2022): month (and day) ``00`` is unknown."""

AUTOTERM_FIELDS: tuple[tuple[str, str], ...] = (
    ("Date", "str"),
    ("Glacier ID", "int"),
    ("Satellite", "str"),
    ("Error", "float"),
)
"""AutoTerm (Zhang et al. 2023): ``Error`` is the front's uncertainty in metres."""

CQ_FLAG = "cq_flag"
CQ_FIELDS: tuple[tuple[str, str], ...] = (
    (CQ_FLAG, "int"),
    ("cq_glacier", "str"),
    ("cq_image", "str"),
)
"""Written after a database's own fields by an export: our quality flag (both meanings kept,
``flags``), glacier id and image id, which the layout cannot hold, so that an export read
back is the fronts written. Readers of the database ignore extra fields."""

ALIASES: dict[str, tuple[str, ...]] = {
    "glacier": ("GlacierID", "Glacier ID", "glacier_id"),
    "cq_glacier": ("cq_glacier",),
    "image": ("ImageID", "image_id", "Image ID", "SceneID", "cq_image"),
    "date": ("Date", "date", "AcqDate"),
    "year": ("Year",),
    "month": ("Month",),
    "day": ("Day",),
    "decdate": ("DecDate",),
    "flag": ("QualFlag", "qual_flag"),
    "cq_flag": (CQ_FLAG,),
    "sensor": ("Satellite", "sensor", "Sensor"),
    "author": ("Author", "reviewer", "author"),
    "error": ("Error", "uncertainty_m"),
    "ref_name": ("RefName",),
    "official_name": ("OfficialN",),
    "greenlandic_name": ("GrnlndcN",),
    "alt_name": ("AltName",),
    "confidence": ("confidence",),
    "source": ("source",),
    "status": ("status",),
    "screen": ("screen",),
    "flow_azimuth": ("flow_azimuth",),
    "path_row": ("path_row",),
    "cloud": ("cloud_cover",),
}
"""Each value we take, and the field names it comes under in any of the layouts."""


def _plain(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def find_field(names: Sequence[str], *wanted: str) -> str | None:
    """The layer's field for any of ``wanted`` (case, spaces, underscores and a shapefile's
    10-character cut ignored), or None."""
    for want in wanted:
        for name in names:
            if _plain(name) == _plain(want):
                return name
    for want in wanted:
        for name in names:
            cut = len(name) == SHAPEFILE_NAME_LENGTH and len(want) > SHAPEFILE_NAME_LENGTH
            if cut and want.lower().startswith(name.lower()):
                return name
    return None


@dataclass(frozen=True)
class Match:
    """A layer's layout and the field of each value found (``ALIASES`` keys)."""

    schema: str
    fields: dict[str, str]


def _layout(names: Sequence[str], fields: dict[str, str]) -> str | None:
    if {"image_id", "qual_flag"} & set(names) or {"glacier_id", "date"} <= set(names):
        return OURS
    if "glacier" not in fields or not {"date", "decdate", "year"} & set(fields):
        return None
    if find_field(names, "RefName", "Center_X", "ImageID"):
        return CALFIN
    return AUTOTERM if find_field(names, "Error") else TERMPICKS


def database_schema(names: Sequence[str]) -> str | None:
    """A database's layout (CALFIN, TermPicks, AutoTerm) when a layer with fields ``names``
    follows one; None for ours or none known (whose readers give their own errors)."""
    fields = {key: f for key, wanted in ALIASES.items() if (f := find_field(names, *wanted))}
    schema = _layout(names, fields)
    return None if schema == OURS else schema


def recognise(names: Sequence[str], layer: str, id_field: str | None = None) -> Match:
    """The layout of a layer with fields ``names``; ``id_field`` (a chosen image id field)
    is taken as the image id, and makes a layer of no known layout ours. Raises, naming the
    fields looked for, when none fits."""
    fields = {key: f for key, wanted in ALIASES.items() if (f := find_field(names, *wanted))}
    chosen = id_field if id_field and id_field in names else None
    if chosen:
        fields["image"] = chosen
    schema = _layout(names, fields) or (OURS if chosen else None)
    if schema is not None:
        return Match(schema, fields)
    raise InputError(
        f"{layer}: its fields ({', '.join(names) or 'none'}) follow none of the front layouts "
        "known here. Looked for: calfin_qgis fronts (image_id, or glacier_id and date); CALFIN "
        "level-1 (GlacierID, Date, ImageID, RefName, QualFlag...); TermPicks (GlacierID, Date "
        "or Year/Month/Day/DecDate, QualFlag, Author); AutoTerm (Glacier ID, Date, Error). "
        "Rename the fields, or choose the image id field."
    )
