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


def _product_bands(folder: Path) -> dict[str, Path]:
    """Product id → the band file the detection used (``sources.open_source``), for the
    extracted products and .SAFE folders under ``folder`` (not inside archives)."""
    found = {}
    for source in sources.find_sources(str(folder)):
        if source.lower().endswith((*sources.TAR_SUFFIXES, ".zip", *sources.RASTER_SUFFIXES)):
            continue
        try:
            scene = sources.open_source(source)
        except InputError:
            continue  # an incomplete product: its fronts show without a scene
        found.setdefault(scene.metadata.image_id, Path(scene.path))
    return found


class SceneFinder:
    """Looks up scenes by image_id among chosen raster layers, then in a folder."""

    def __init__(self, folder: str | Path | None = None, layers=()) -> None:
        self.folder = Path(folder) if folder else None
        self.layers: list[QgsRasterLayer] = list(layers)
        self._files: dict[str, Path] | None = None

    def _folder_files(self) -> dict[str, Path]:
        if self._files is None:
            self._files = {}
            if self.folder is not None and self.folder.is_dir():
                for path in sorted(self.folder.rglob("*")):
                    if path.suffix.lower() in sources.RASTER_SUFFIXES:
                        self._files.setdefault(scene_id(path.name), path)
                self._files.update(_product_bands(self.folder))
        return self._files

    def layer_for(self, image_id: str) -> QgsRasterLayer | None:
        """A raster layer for ``image_id``: a chosen one first, then any in the project."""
        key = scene_id(image_id)
        project_rasters = [
            lyr
            for lyr in QgsProject.instance().mapLayers().values()
            if isinstance(lyr, QgsRasterLayer)
        ]
        for layer in [*self.layers, *project_rasters]:
            if key in _layer_keys(layer):
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
