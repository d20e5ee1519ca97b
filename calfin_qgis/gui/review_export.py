"""Exporting reviewed fronts: a GeoPackage of the kept fronts and label images for retraining
(``core.evaluation.labels`` draws them). Both exports read the layer as shown, i.e. with
edits not yet saved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from osgeo import osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsProject,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from calfin_qgis.core.evaluation.labels import write_labels
from calfin_qgis.core.geo.rasters import open_scene, same_file

from ..adapter.scenes import SceneFinder
from .review_model import KEPT_STATUSES


def _kept_ids(layer: QgsVectorLayer, statuses) -> list[int]:
    if layer.fields().indexOf("status") < 0:
        return []
    return [f.id() for f in layer.getFeatures() if f["status"] in statuses]


def export_fronts(layer: QgsVectorLayer, path: str | Path, statuses=KEPT_STATUSES) -> int:
    """Write the fronts whose status is in ``statuses`` to a GeoPackage; return how many.

    Into an existing GeoPackage the ``fronts`` layer is written (replaced), its other layers
    stay; the reviewed layer's own file is refused (it would keep only the kept fronts).
    """
    if same_file(layer.source().split("|")[0], path):
        raise ValueError(
            f"{Path(path).name} is the file of the layer under review: exporting into it would "
            "delete the other fronts. Choose another file."
        )
    fids = _kept_ids(layer, statuses)
    subset = layer.materialize(QgsFeatureRequest().setFilterFids(fids))
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = "fronts"
    if Path(path).exists():  # an existing GeoPackage keeps its other layers
        options.actionOnExistingFile = QgsVectorFileWriter.CreateOrOverwriteLayer
    error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
        subset, str(path), QgsProject.instance().transformContext(), options
    )
    if error != QgsVectorFileWriter.NoError:
        raise RuntimeError(f"Cannot write {path}: {message}")
    return len(fids)


@dataclass
class LabelExport:
    written: list[Path] = field(default_factory=list)
    missing_scenes: list[str] = field(default_factory=list)


def _scene_transform(layer: QgsVectorLayer, crs_wkt: str) -> QgsCoordinateTransform | None:
    if not crs_wkt:
        return None
    srs = osr.SpatialReference(wkt=crs_wkt)
    scene_crs = QgsCoordinateReferenceSystem.fromWkt(srs.ExportToWkt())
    if not scene_crs.isValid() or scene_crs == layer.crs():
        return None
    return QgsCoordinateTransform(layer.crs(), scene_crs, QgsProject.instance())


def export_label_images(
    layer: QgsVectorLayer, folder: str | Path, scenes: SceneFinder, statuses=KEPT_STATUSES
) -> LabelExport:
    """Rasterise kept fronts per image onto their scene's grid as training label PNGs."""
    folder = Path(folder)
    by_image = defaultdict(list)
    for fid in _kept_ids(layer, statuses):
        feature = layer.getFeature(fid)
        by_image[str(feature["image_id"] or "")].append(feature.geometry())
    result = LabelExport()
    for image_id, geometries in sorted(by_image.items()):
        path = scenes.path_for(image_id)
        if path is None:
            result.missing_scenes.append(image_id)
            continue
        scene = open_scene(path)
        transform = _scene_transform(layer, scene.crs_wkt)
        lines = []
        for geometry in geometries:
            geometry = type(geometry)(geometry)
            if transform is not None:
                geometry.transform(transform)
            lines.append(shapely.from_wkb(bytes(geometry.asWkb())))
        result.written += write_labels(folder, image_id, lines, scene)
    return result
