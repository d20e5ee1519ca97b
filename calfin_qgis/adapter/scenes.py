"""Finding the scene of a front: a loaded raster layer or a file in the scenes folder.

Names are compared through ``naming.scene_id``, so ``X_Subset.tif``, a layer named ``X`` and
an image_id ``X_Subset`` all match. Fronts detected on a product carry its product id: a
band file inside its product (beside its MTL, inside its .SAFE) answers to that id too.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from qgis.core import QgsProject, QgsRasterLayer

from calfin_qgis.core.errors import InputError
from calfin_qgis.core.products import sources
from calfin_qgis.core.products.naming import scene_id


def _layer_keys(layer: QgsRasterLayer) -> set[str]:
    source = layer.source().split("|")[0]
    keys = {scene_id(layer.name()), scene_id(source)}
    with contextlib.suppress(InputError):  # a folder source (an ESRI grid): its name is its key
        keys.add(sources.scene_metadata(source).image_id)
    return keys


class SceneFinder:
    """Looks up scenes by image_id among the project's raster layers, then in a folder."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self._files: dict[str, Path] | None = None

    def _folder_files(self) -> dict[str, Path]:
        if self._files is None:
            files = sources.scene_files(self.folder) if self.folder is not None else {}
            self._files = {key: Path(path) for key, path in files.items()}
        return self._files

    def layer_for(self, image_id: str) -> QgsRasterLayer | None:
        """A raster layer of the project for ``image_id``."""
        key = scene_id(image_id)
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsRasterLayer) and key in _layer_keys(layer):
                return layer
        return None

    def path_for(self, image_id: str) -> Path | None:
        """The scene file of ``image_id``: a matching layer's source, else a folder file."""
        if not image_id:
            return None
        layer = self.layer_for(image_id)
        if layer is not None and Path(layer.source().split("|")[0]).is_file():
            return Path(layer.source().split("|")[0])
        return self._folder_files().get(scene_id(image_id))
