"""What calfin:evaluate_fronts' report says about its inputs: the layers and their files,
the model that found the fronts, the pixel size and where the scenes were found."""

from __future__ import annotations

from qgis.core import QgsUnitTypes

from ..adapter.layers import file_path
from ..adapter.scenes import SceneFinder


def describe_layer(alg, parameters, name: str, context) -> str:
    """'layer name (file)' of a vector input, or what was given."""
    layer = alg.parameterAsVectorLayer(parameters, name, context)
    if layer is None:
        return str(parameters.get(name, ""))
    path = file_path(layer.source())
    return f"{layer.name()} ({path})" if path and path != layer.name() else layer.name()


def model_sources(source) -> tuple[str, ...]:
    """The detected fronts' ``source`` values: the model and version that found them."""
    index = source.fields().indexOf("source")
    values = source.uniqueValues(index) if index >= 0 else set()
    return tuple(sorted(v for v in values if isinstance(v, str) and v))


def metres_per_unit(crs) -> float | None:
    """Metres per map unit of a projected CRS; None without one (pixel coordinates, or the
    'Undefined geographic SRS' a GeoPackage gives layers that have no CRS)."""
    units = crs.mapUnits() if crs.isValid() else QgsUnitTypes.DistanceUnknownUnit
    if units in (QgsUnitTypes.DistanceUnknownUnit, QgsUnitTypes.DistanceDegrees):
        return None
    return QgsUnitTypes.fromUnitToUnitFactor(units, QgsUnitTypes.DistanceMeters)


def report_inputs(alg, parameters, context, crs, pixel_size: float, pixel_source: str):
    """(RunInfo, image id -> scene file or None) for ``core.report.write_report``: scenes are the
    project's raster layers and the files of the SCENES folder, matched by image id as the
    review dock matches them."""
    from ..core.evaluation.report import RunInfo  # numpy, GDAL: not at QGIS start-up

    folder = alg.parameterAsFile(parameters, "SCENES", context)
    id_fields = [
        alg.parameterAsString(parameters, name, context) or "image_id"
        for name in ("ID_FIELD", "REFERENCE_ID_FIELD")
    ]
    metres = metres_per_unit(crs)
    info = RunInfo(
        detected=describe_layer(alg, parameters, "INPUT", context),
        reference=describe_layer(alg, parameters, "REFERENCE", context),
        id_fields=f"{id_fields[0]} (detected) = {id_fields[1]} (reference)",
        models=model_sources(alg.parameterAsSource(parameters, "INPUT", context)),
        pixel_size=pixel_size,
        pixel_source=pixel_source,
        crs=f"{crs.authid()} {crs.description()}".strip() if metres else "",
        metres_per_unit=metres,
        scenes=", ".join(filter(None, [folder, "raster layers of the project"])),
    )
    return info, SceneFinder(folder).path_for
