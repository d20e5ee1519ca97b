"""How calfin's own rasters (probabilities, preprocess output) remember the scene they came
from, so that fronts extracted from them later get the scene's image_id, date, sensor and
path/row: the scene's file name and metadata as raster metadata items, and back. Only the
conversion: ``sources.identify`` reads the items, the writers set them."""

from __future__ import annotations

from .metadata_files import SceneMetadata, name_metadata

SCENE_KEY = "CALFIN_SCENE"
"""The original scene's file name."""
METADATA_KEY = "CALFIN_SCENE_METADATA"
"""Its ``SceneMetadata`` as JSON."""
SOURCE_KEY = "CALFIN_SOURCE"
"""The model that wrote a probability raster (the fronts' ``source``)."""


def identity_tags(name: str, metadata: SceneMetadata) -> dict[str, str]:
    """The raster metadata items by which an output remembers the scene ``name``."""
    return {SCENE_KEY: name, METADATA_KEY: metadata.to_json()}


def identity_from_tags(tags: dict[str, str]) -> tuple[str, SceneMetadata] | None:
    """(scene file name, metadata) that a calfin raster's items record, or None for any other
    raster; calfin rasters older than the metadata item give their scene's file name's."""
    name = tags.get(SCENE_KEY)
    if not name:
        return None
    if METADATA_KEY in tags:
        return name, SceneMetadata.from_json(tags[METADATA_KEY])
    return name, name_metadata(name)
