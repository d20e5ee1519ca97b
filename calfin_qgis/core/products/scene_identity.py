"""Which scene a raster came from: calfin's own rasters (probabilities, preprocess output,
the averaged scene) record their scene's file name and metadata, so that fronts extracted
from them later get the scene's image_id, date, sensor and path/row."""

from __future__ import annotations

import os

from ..geo import rasters
from . import sources

SCENE_KEY = "CALFIN_SCENE"


SOURCE_KEY = "CALFIN_SOURCE"


METADATA_KEY = "CALFIN_SCENE_METADATA"
"""calfin's own rasters (probabilities, preprocess output, the averaged scene) carry their
scene's file name and metadata (``sources.SceneMetadata`` as JSON) under these keys."""


def scene_name(scene: rasters.Scene) -> str:
    """The original scene's file name: recorded in calfin's own outputs, else the file's."""
    return rasters.read_metadata(scene.path).get(SCENE_KEY) or os.path.basename(scene.path)


def scene_metadata(scene: rasters.Scene) -> sources.SceneMetadata:
    """The original scene's product id, date, sensor, path/row and cloud cover: recorded in
    calfin's own rasters, else from the product the file lies in or its file name
    (``sources.scene_metadata``); older calfin rasters give their scene's file name's."""
    tags = rasters.read_metadata(scene.path)
    if METADATA_KEY in tags:
        return sources.SceneMetadata.from_json(tags[METADATA_KEY])
    if SCENE_KEY in tags:
        return sources.name_metadata(tags[SCENE_KEY])
    return sources.scene_metadata(scene.path)


def scene_tags(scene: rasters.Scene) -> dict[str, str]:
    """The raster metadata items by which calfin's outputs remember ``scene``."""
    return {SCENE_KEY: scene_name(scene), METADATA_KEY: scene_metadata(scene).to_json()}
