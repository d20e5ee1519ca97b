"""Front lines as training label images, laid out as the training data is:
``labels/<id>_Front.png`` (3 px line) and ``labels_1px/<id>_Front.png`` (1 px line), black
(0) on white (255), on the scene's pixel grid (the review dock's export)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import shapely
from osgeo import gdal

from ..geo.rasters import Scene
from .metrics import rasterize_lines

gdal.UseExceptions()

LABEL_FOLDERS = ("labels", "labels_1px")
"""The 3 px and the 1 px label images' folders."""
_SUBSET = re.compile(r"_subset$", re.IGNORECASE)


def label_name(image_id: str) -> str:
    """``X_Subset`` → ``X_Front.png`` (and ``X`` → ``X_Front.png``)."""
    stem = _SUBSET.sub("", image_id)
    return f"{stem}_Front.png"


def write_png(path: str | Path, image: np.ndarray) -> None:
    """A (H, W) uint8 array as a grey PNG, without GDAL's .aux.xml beside it."""
    mem = gdal.GetDriverByName("MEM").Create("", image.shape[1], image.shape[0], 1, gdal.GDT_Byte)
    mem.GetRasterBand(1).WriteArray(image)
    gdal.GetDriverByName("PNG").CreateCopy(str(path), mem)
    Path(f"{path}.aux.xml").unlink(missing_ok=True)


def write_labels(
    folder: str | Path, image_id: str, lines: Iterable[shapely.Geometry], scene: Scene
) -> list[Path]:
    """The two label images of ``image_id`` from ``lines`` (in the scene's CRS) under
    ``folder``; returns their paths."""
    from skimage.morphology import binary_dilation

    thin = rasterize_lines(lines, (scene.height, scene.width), scene.geotransform)
    thick = binary_dilation(thin, np.ones((3, 3), dtype=bool))
    written = []
    for sub, burnt in zip(LABEL_FOLDERS, (thick, thin), strict=True):
        path = Path(folder) / sub / label_name(image_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_png(path, np.where(burnt, 0, 255).astype(np.uint8))
        written.append(path)
    return written
