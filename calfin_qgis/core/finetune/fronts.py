"""The trusted fronts to learn from, read with OGR and grouped by scene.

Trusted: the review dock's accepted, edited and redrawn fronts, or fronts flagged manual
(qual_flag 0) or manually edited (3); a layer with neither a status nor a qual_flag field
(hand-drawn fronts) is trusted whole. Rejected and unreviewed automatic picks are left out.
A front database's layer (CALFIN level-1 with ImageID; ``core.databases``) gives its manual
fronts: qual_flag 0 (or 3) after its flags are mapped to ours (``databases.flags``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from osgeo import ogr

from .. import schema
from ..databases.read import Fronts, ogr_rows, read_fronts_any
from ..databases.schemas import database_schema
from ..errors import InputError
from ..geo import vectors
from ..products import sources
from ..products.naming import scene_date, scene_id

ogr.UseExceptions()

KEPT_STATUSES = ("accepted", "edited", "redrawn")
"""The review dock's statuses of a front a labeller vouched for (``gui.review_model``)."""
MANUAL_FLAGS = (schema.QUAL_MANUAL, schema.QUAL_MANUAL_EDITED)


@dataclass
class SceneFronts:
    """The trusted fronts of one scene (shapely lines in ``crs_wkt``)."""

    image_id: str
    lines: list = field(default_factory=list)
    glacier_id: str = ""
    path: str = ""
    """The scene file found for ``image_id``."""

    @property
    def date(self) -> str:
        day = scene_date(self.image_id)
        return day.isoformat() if day else ""


def trusted(values: dict, names: list[str]) -> bool:
    """Whether a front (its attribute ``values``; ``names``: the layer's fields) is one a
    labeller vouched for."""
    status, flag = values.get("status"), values.get("qual_flag")
    if status in KEPT_STATUSES:
        return True
    if status == schema.REJECTED:
        return False
    if "qual_flag" in names:
        return flag in MANUAL_FLAGS
    return "status" not in names


def group_fronts(features, names: list[str], layer_name: str) -> dict[str, SceneFronts]:
    """Trusted fronts by image_id from (attribute dict, shapely geometry or None) pairs."""
    if "image_id" not in names:
        raise InputError(
            f"{layer_name} has no image_id field, so the scene of each front cannot be "
            "found. Give fronts written by calfin or the review dock, or add image_id."
        )
    by_scene: dict[str, SceneFronts] = {}
    for values, geometry in features:
        image_id = values.get("image_id") or ""
        if geometry is None or geometry.is_empty or not image_id or not trusted(values, names):
            continue
        key = scene_id(str(image_id))
        entry = by_scene.setdefault(key, SceneFronts(key))
        entry.lines.append(geometry)
        entry.glacier_id = str(values.get("glacier_id") or entry.glacier_id)
    if not by_scene:
        raise InputError(
            f"{layer_name} holds no trusted front with an image_id: accept, edit or redraw "
            "fronts in the review dock (or flag them qual_flag 0 / 3) first."
        )
    return by_scene


def database_scenes(fronts: Fronts) -> dict[str, SceneFronts]:
    """A database layer's manual fronts by image id; a layout without image ids (TermPicks)
    is refused, since a front's scene is found by its image id."""
    if not any(record["image_id"] for record in fronts.records):
        raise InputError(
            f"{fronts.name} ({fronts.schema} layout) gives no image id for its fronts, so "
            "their scenes cannot be found: fine-tuning needs each front's scene. Give CALFIN "
            "level-1 fronts (ImageID), or add an image_id field naming each front's scene."
        )
    manual = [record for record in fronts.records if record["qual_flag"] in MANUAL_FLAGS]
    if not manual:
        raise InputError(
            f"{fronts.name}: none of its {len(fronts.records)} front(s) is flagged manual "
            "(QualFlag 0 or 3); fine-tuning learns only from manual fronts. Give a layer "
            "with manual fronts."
        )
    rows = ((record, record["geometry"]) for record in manual)
    return group_fronts(rows, ["image_id", "qual_flag"], fronts.name)


def read_fronts(path: str | os.PathLike) -> tuple[dict[str, SceneFronts], str]:
    """Trusted fronts by image_id, and the layer's CRS (WKT, '' when it has none)."""
    if not Path(path).exists():
        raise InputError(f"Fronts file not found: {path}. Check the path.")
    try:
        ds = ogr.Open(str(path))
    except RuntimeError as err:
        raise InputError(f"Cannot read {path} as a vector file ({err}).") from err
    if ds is None or ds.GetLayerCount() == 0:
        raise InputError(f"{path} holds no vector layer. Give a layer of fronts.")
    layer = ds.GetLayer(0)
    names = vectors.field_names(layer)
    if database_schema(names):
        fronts = read_fronts_any(path)
        return database_scenes(fronts), fronts.crs_wkt

    srs = layer.GetSpatialRef()
    rows = ogr_rows(layer, names)
    return group_fronts(rows, names, Path(path).name), srs.ExportToWkt() if srs else ""


def find_scenes(fronts: dict[str, SceneFronts], folder: str | os.PathLike) -> list[str]:
    """Fill in each scene's file from ``folder``; return the image ids without one."""
    if not Path(folder).is_dir():
        raise InputError(f"Scenes folder {folder} is not a folder. Give the folder of scenes.")
    files = sources.scene_files(folder)
    missing = []
    for key, entry in fronts.items():
        entry.path = files.get(key, "")
        if not entry.path:
            missing.append(entry.image_id)
    return sorted(missing)
