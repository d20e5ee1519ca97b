"""Glacier ids: the databases number glaciers (``GlacierID``), our polygons name them
(``glacier_id``, text). ``GlacierMap`` links the two: a layer or table (``GLACIER_MAP``,
``--glacier-map``) with a text ``glacier_id`` field and an integer database id field, e.g.
the glacier polygon layer with a ``GlacierID`` field added.

Without a map, a CALFIN front still finds its glacier by name: its RefName, OfficialN,
GrnlndcN and AltName are compared with the ids of the 27 shared search polygons (Loebel et
al., ``SHARED_POLYGON_IDS``) and those of the map, spelling and generic words (Gletscher,
Isbræ, Glacier...) set aside, plus the few spellings ``NAME_ALIASES`` lists. TermPicks and
AutoTerm carry no names: their ids need the map, else they stay numbers as text.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from osgeo import ogr

from ..errors import InputError
from ..geo import vectors

SHARED_POLYGON_IDS = (
    "academy", "boydell", "daugaard_jensen", "docker_smith", "drygalski",
    "eqip_sermia_region", "hagen_brae", "harald_moltke_brae", "hayes", "helheim", "humboldt",
    "ingia_isbrae", "jakobshavn_isbrae", "kangerdlugssuaq", "kangiata_nunaata_sermia",
    "kong_oscar", "nioghalvfjerdsbrae", "rinks_isbrae", "ryder_glacier", "storbreen", "store",
    "sverdrup", "tracy_gletscher", "upernavik_isstrom_north", "upsala",
    "waltershausen_glacier", "zachariae_isstrom",
)  # fmt: skip
"""The shared front search polygons (/work/shared/data/clip_polygons, tests/data)."""

NAME_ALIASES: dict[str, tuple[str, ...]] = {
    "kangerdlugssuaq": ("Kangerlussuaq", "Kangerlussuaq Gletsjer"),
    "ingia_isbrae": ("Inngia", "Inngia Isbræ"),
    "rinks_isbrae": ("Rink", "Rink Isbræ", "Rink-Isbrae"),
    "nioghalvfjerdsbrae": ("79 Fjord", "Nioghalvfjerdsfjorden"),
    "humboldt": ("Sermersuaq",),
    "jakobshavn_isbrae": ("Jakobshavn", "Sermeq Kujalleq (Jakobshavn)"),
}
"""Other spellings of a polygon's glacier in CALFIN's name fields. Upernavik Isstrøm north is
left out on purpose: CALFIN splits Upernavik into NE and NW arms and the polygon's arm is not
certain, so its fronts need the map."""

GENERIC = {"gletscher", "gletsjer", "glacier", "isbrae", "brae", "isstrom", "sermia", "region"}
INT_FIELDS = ("GlacierID", "calfin_id", "termpicks_id", "autoterm_id", "db_id")

HOW_TO_MAP = (
    "Give GLACIER_MAP (--glacier-map): a layer or table with a text field glacier_id (our "
    "polygons' ids) and an integer field GlacierID (the database's), e.g. the glacier polygon "
    "layer with a GlacierID field added."
)


def name_key(name: str) -> str:
    """'Jakobshavn Isbræ' and 'jakobshavn_isbrae' → 'jakobshavn'."""
    text = name.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return " ".join(w for w in words if w not in GENERIC)


@dataclass
class GlacierMap:
    """Database id → our glacier id, and the name keys our ids are matched by."""

    ids: dict[int, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for glacier_id in (*SHARED_POLYGON_IDS, *self.ids.values()):
            self.names.setdefault(name_key(glacier_id), glacier_id)
        for glacier_id, aliases in NAME_ALIASES.items():
            for alias in aliases:
                self.names.setdefault(name_key(alias), glacier_id)

    def glacier(self, number: int | None, names: Iterable[str] = ()) -> str | None:
        """Our id of a database glacier: by the map, else by one of its names, else None."""
        if number is not None and number in self.ids:
            return self.ids[number]
        for name in names:
            if name and (found := self.names.get(name_key(str(name)))):
                return found
        return None

    def database_id(self, glacier_id: str) -> int | None:
        """The database id of our glacier id (for exports), or None."""
        return next((n for n, g in self.ids.items() if g == glacier_id), None)


def map_from_rows(rows: Iterable[tuple[object, object]], name: str) -> GlacierMap:
    """A map from (database id, glacier id) pairs; ids that are not integers are refused."""
    ids = {}
    for number, glacier in rows:
        if number in (None, "") or glacier in (None, ""):
            continue
        try:
            ids[int(float(number))] = str(glacier)
        except (TypeError, ValueError):
            raise InputError(
                f"{name}: database glacier id '{number}' is not an integer. {HOW_TO_MAP}"
            ) from None
    if not ids:
        raise InputError(f"{name} links no glacier id. {HOW_TO_MAP}")
    return GlacierMap(ids)


def map_fields(names: list[str], kinds: dict[str, str], name: str) -> tuple[str, str]:
    """(integer id field, glacier_id field) of a map layer with fields ``names`` of ``kinds``
    ('int', 'float', 'str'...)."""
    if "glacier_id" not in names:
        raise InputError(f"{name} has no glacier_id field. {HOW_TO_MAP}")
    wanted = [f for f in INT_FIELDS if f in names]
    wanted += [f for f in names if kinds.get(f) == "int" and f != "glacier_id"]
    if not wanted:
        raise InputError(f"{name} has no integer database id field. {HOW_TO_MAP}")
    return wanted[0], "glacier_id"


def read_glacier_map(path: str | os.PathLike) -> GlacierMap:
    """The map in a vector file or table (GeoPackage, shapefile, CSV...)."""
    name = Path(path).name
    ds = ogr.Open(str(path)) if Path(path).exists() else None
    if ds is None or ds.GetLayerCount() == 0:
        raise InputError(f"Cannot read a glacier map from {path}. {HOW_TO_MAP}")
    layer = ds.GetLayer(0)
    defn = layer.GetLayerDefn()
    names = vectors.field_names(layer)
    integer = (ogr.OFTInteger, ogr.OFTInteger64)
    kinds = {
        n: "int" if defn.GetFieldDefn(i).GetType() in integer else "" for i, n in enumerate(names)
    }
    number, glacier = map_fields(names, kinds, name)
    return map_from_rows(((f.GetField(number), f.GetField(glacier)) for f in layer), name)
