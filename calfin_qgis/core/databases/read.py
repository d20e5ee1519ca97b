"""Any fronts layer into our fronts' values: calfin_qgis's own, CALFIN level-1 lines and
``_closed_`` polygons, TermPicks and AutoTerm, recognised by their fields (``schemas``).

``fronts_from_rows`` works on plain rows (a QGIS layer's features, fed by the adapter);
``read_fronts_any`` reads a file with OGR. Both give records with ``core.schema``'s front
fields plus ``src_qual_flag`` (the flag as read), ``date_known`` (day, month or year),
``author``, ``uncertainty_m``, ``mask`` (a ``_closed_`` polygon, else None) and ``geometry``
(the front line; a polygon's outline).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from osgeo import ogr
from shapely import wkb
from shapely.geometry import LineString

from ..errors import InputError
from ..geo import vectors
from ..products.naming import scene_sensor
from . import dates, flags
from .glaciers import HOW_TO_MAP, GlacierMap
from .schemas import OURS, Match, recognise

ogr.UseExceptions()

NAME_KEYS = ("ref_name", "official_name", "greenlandic_name", "alt_name")
MAX_ROW_NOTES = 5


@dataclass
class Fronts:
    """A layer's fronts as records, its CRS, layout and what the user should know."""

    records: list[dict]
    crs_wkt: str
    schema: str
    name: str
    notes: list[str] = field(default_factory=list)
    field_names: list[str] = field(default_factory=list)


def _number(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class _Reader:
    """Turns one layer's rows into records, counting what goes wrong for the notes."""

    def __init__(self, match: Match, glacier_map: GlacierMap, name: str) -> None:
        self.match, self.map, self.name = match, glacier_map, name
        self.bad_dates: list[str] = []
        self.unknown_parts = 0
        self.unmapped: set[int] = set()
        self.polygons = 0

    def get(self, attrs: Mapping, key: str):
        name = self.match.fields.get(key)
        return None if name is None else attrs.get(name)

    def glacier(self, attrs: Mapping) -> str:
        if own := _text(self.get(attrs, "cq_glacier")):
            return own
        value = self.get(attrs, "glacier")
        number = _number(value) if self.match.schema != OURS or _text(value).isdigit() else None
        if number is None:
            return _text(value)
        names = [_text(self.get(attrs, key)) for key in NAME_KEYS]
        found = self.map.glacier(number, names)
        if found is None:
            self.unmapped.add(number)
        return found or str(number)

    def date(self, attrs: Mapping, row: int):
        parts = ("date", "year", "month", "day", "decdate")
        values = [self.get(attrs, key) for key in parts]
        dated = dates.parse(*values)
        if dated is None and any(v not in (None, "") for v in values):
            self.bad_dates.append(
                f"{self.name}, feature {row}: date '{values[0] or values[1:]}' does not read "
                "as a date (YYYY-MM-DD); the front is kept without a date."
            )
        elif dated is not None and dated.known != dates.DAY:
            self.unknown_parts += 1
        return dated

    def flag(self, attrs: Mapping) -> tuple[int | None, int | None]:
        raw = _number(self.get(attrs, "flag"))
        own = _number(self.get(attrs, "cq_flag"))
        if own is not None:
            return own, raw
        return (raw if self.match.schema == OURS else flags.from_database(raw)), raw

    def record(self, attrs: Mapping, geometry, row: int) -> dict:
        mask = None
        if geometry is not None and geometry.geom_type in ("Polygon", "MultiPolygon"):
            mask, geometry = geometry, geometry.boundary
            self.polygons += 1
        dated = self.date(attrs, row)
        qual_flag, src_flag = self.flag(attrs)
        error = self.get(attrs, "error")
        azimuth = self.get(attrs, "flow_azimuth")
        image_id = _text(self.get(attrs, "image"))
        return {
            "glacier_id": self.glacier(attrs),
            "image_id": image_id,
            "date": dated.date if dated else None,
            "date_known": dated.known if dated else None,
            "qual_flag": qual_flag,
            "src_qual_flag": src_flag,
            "confidence": self.get(attrs, "confidence"),
            "source": _text(self.get(attrs, "source")) or self.match.schema,
            "sensor": _text(self.get(attrs, "sensor")) or scene_sensor(image_id)[0],
            "path_row": _text(self.get(attrs, "path_row")),
            "cloud_cover": self.get(attrs, "cloud"),
            "status": _text(self.get(attrs, "status")),
            "screen": _text(self.get(attrs, "screen")),
            "author": _text(self.get(attrs, "author")),
            "uncertainty_m": None if error in (None, "") else float(error),
            "flow_azimuth": None if azimuth in (None, "") else float(azimuth),
            "mask": mask,
            "geometry": geometry if geometry is not None else LineString(),
        }

    def notes(self) -> list[str]:
        notes = self.bad_dates[:MAX_ROW_NOTES]
        if len(self.bad_dates) > MAX_ROW_NOTES:
            notes.append(f"... and {len(self.bad_dates) - MAX_ROW_NOTES} more undated fronts.")
        if self.unknown_parts:
            notes.append(
                f"{self.name}: {self.unknown_parts} front(s) have month or day 00 (unknown): "
                "kept, dated to the middle of their year (1 July) or month (the 15th), with "
                "date_known 'year' or 'month'."
            )
        if self.unmapped:
            ids = ", ".join(map(str, sorted(self.unmapped)[:8]))
            notes.append(
                f"{self.name}: database glacier id(s) {ids} match none of our glacier ids and "
                f"are kept as numbers. {HOW_TO_MAP}"
            )
        if self.polygons:
            notes.append(
                f"{self.name}: {self.polygons} closed front polygon(s) (as CALFIN's _closed_ "
                "files): their outline is the front line, the polygon the ice mask."
            )
        return notes


def fronts_from_rows(
    names: list[str],
    rows: Iterable[tuple[Mapping, object]],
    crs_wkt: str,
    name: str,
    glacier_map: GlacierMap | None = None,
    id_field: str | None = None,
    glacier_field: str | None = None,
) -> Fronts:
    """Records of a layer with fields ``names`` from (attributes, shapely geometry or None)
    rows; ``id_field`` and ``glacier_field`` name the image and glacier id fields when they
    are not the known ones."""
    match = recognise(names, name, id_field)
    if glacier_field and glacier_field in names:
        match.fields["glacier"] = glacier_field
    reader = _Reader(match, glacier_map or GlacierMap(), name)
    records = [reader.record(attrs, geometry, i) for i, (attrs, geometry) in enumerate(rows, 1)]
    return Fronts(records, crs_wkt, match.schema, name, reader.notes(), list(names))


def _split_source(path: str | os.PathLike) -> tuple[str, str | None]:
    """'file.gpkg|layername=x' → ('file.gpkg', 'x')."""
    text = str(path)
    file, _, options = text.partition("|")
    layer = options.split("=", 1)[1] if options.startswith("layername=") else None
    return file, layer


def read_fronts_any(
    path: str | os.PathLike,
    glacier_map: GlacierMap | None = None,
    id_field: str | None = None,
    glacier_field: str | None = None,
) -> Fronts:
    """The fronts of a vector file (``path|layername=x`` for one of several layers) in any of
    the layouts; errors name the fix. The single reader for every caller of the core."""
    file, layer_name = _split_source(path)
    if not Path(file).exists():
        raise InputError(f"Fronts file not found: {file}. Check the path.")
    try:
        ds = ogr.Open(file)
    except RuntimeError as err:
        raise InputError(f"Cannot read {file} as a vector file ({err}).") from err
    layer = ds.GetLayerByName(layer_name) if layer_name else ds.GetLayer(0)
    if layer is None:
        raise InputError(f"{file} holds no layer '{layer_name or 0}'. Check the layer name.")
    names = vectors.field_names(layer)
    srs = layer.GetSpatialRef()
    name = Path(file).name
    crs = srs.ExportToWkt() if srs else ""
    rows = ogr_rows(layer, names)
    return fronts_from_rows(names, rows, crs, name, glacier_map, id_field, glacier_field)


def ogr_rows(layer, names: list[str]) -> Iterator[tuple[dict, object]]:
    """An OGR layer's (attributes, 2D shapely geometry or None) rows, in feature order."""
    for feature in layer:
        geometry = feature.GetGeometryRef()
        shape = wkb.loads(bytes(geometry.ExportToWkb())) if geometry is not None else None
        yield {n: feature.GetField(n) for n in names}, shapely.force_2d(shape) if shape else None
