"""calfin:evaluate_fronts' fronts in any layout (ours, CALFIN, TermPicks, AutoTerm) and its
glacier polygons: read through ``core.databases``, paired by image id, else glacier and date,
with a mask scorer where a glacier polygon closes the fronts."""

from __future__ import annotations

from qgis.core import QgsProcessing, QgsProcessingException, QgsProcessingParameterFeatureSource

from ..adapter.fronts import source_fronts, source_glacier_map
from ..adapter.layers import plain, shapely_geometry
from ..core.detect.options import OPTIONS
from .parameters import add_options, option_values

DEFAULT_ID = "image_id"


def add_database_parameters(alg) -> None:
    """GLACIER_MAP, GLACIERS and FLOW: linking a database's glaciers, and closing fronts."""
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "GLACIER_MAP",
            "Glacier map (glacier_id and the database's integer GlacierID)",
            [QgsProcessing.TypeVector],
            optional=True,
        )
    )
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "GLACIERS",
            "Glacier polygons (glacier_id), closing fronts into ice masks",
            [QgsProcessing.TypeVectorPolygon],
            optional=True,
        )
    )
    add_options(alg, [OPTIONS["flow"]])  # north-up: the image's direction is the map's


def flow(alg, parameters, context):
    """FLOW as ``masks.flow_vector`` takes it: up/down/left/right, None when unknown."""
    return option_values(alg, parameters, context, [OPTIONS["flow"]])["flow"]


def read_fronts(alg, parameters, name: str, id_parameter: str, crs, context, glacier_map):
    """A layer's fronts in ``crs``; an id field the user chose must exist."""
    source = alg.parameterAsSource(parameters, name, context)
    field = alg.parameterAsString(parameters, id_parameter, context) or DEFAULT_ID
    if field != DEFAULT_ID and source.fields().indexOf(field) < 0:
        raise QgsProcessingException(
            f"Field '{field}' is not in layer '{source.sourceName()}'. Choose its image id field."
        )
    id_field = field if source.fields().indexOf(field) >= 0 else None
    return source_fronts(source, context, crs, glacier_map, id_field)


def glacier_polygons(alg, parameters, crs, context) -> dict:
    """Glacier id → polygon (shapely, in ``crs``); a lone polygon without an id serves all."""
    from qgis.core import QgsFeatureRequest
    from shapely.ops import unary_union

    source = alg.parameterAsSource(parameters, "GLACIERS", context)
    if source is None:
        return {}
    request = QgsFeatureRequest().setDestinationCrs(crs, context.transformContext())
    has_id = source.fields().indexOf("glacier_id") >= 0
    parts: dict = {}
    for feature in source.getFeatures(request):
        key = str(plain(feature["glacier_id"])) if has_id else None
        parts.setdefault(key, []).append(shapely_geometry(feature))
    return {key: unary_union(shapes) for key, shapes in parts.items()}


def _domain(pairs, polygons: dict, key: str):
    """The glacier polygon of a pair (or the lone one), None without."""
    domain = polygons.get(pairs.glacier_date.get(key, ("", None))[0])
    return next(iter(polygons.values())) if domain is None and len(polygons) == 1 else domain


def close_reference(pairs, polygons: dict, pixel_size: float) -> None:
    """Closed reference polygons' front lines: their outline away from the glacier polygon
    (two pixels' tolerance), in place of the whole outline, and the detected lines within
    that polygon (the reference says nothing beyond its walls)."""
    from ..core.evaluation.masks import closed_front

    for key, mask in pairs.masks.items():
        domain = _domain(pairs, polygons, key)
        if domain is not None:
            pairs.reference[key] = [closed_front(mask, domain, 2 * pixel_size)]
            lines = [line.intersection(domain) for line in pairs.detected.get(key, [])]
            pairs.detected[key] = [line for line in lines if not line.is_empty]


def mask_scorer(pairs, polygons: dict, direction, pixel_size: float, metres):
    """``scoring.evaluate``'s mask scorer: the pair's glacier polygon (or the lone one)."""
    from ..core.evaluation.masks import flow_vector, mask_score

    vector = flow_vector(direction)

    def score(key: str, preds: list, refs: list):
        domain = _domain(pairs, polygons, key)
        if domain is None:
            return None
        return mask_score(preds, refs, pairs.masks.get(key), domain, vector, pixel_size, metres)

    return score


def read_inputs(alg, parameters, context, crs):
    """(detected Fronts, reference Fronts, Pairs) of the algorithm's layers."""
    from ..core.databases.schemas import OURS
    from ..core.evaluation.pairing import pair_fronts

    glacier_map = source_glacier_map(alg.parameterAsSource(parameters, "GLACIER_MAP", context))
    detected = read_fronts(alg, parameters, "INPUT", "ID_FIELD", crs, context, glacier_map)
    reference = read_fronts(
        alg, parameters, "REFERENCE", "REFERENCE_ID_FIELD", crs, context, glacier_map
    )
    pairs = pair_fronts(detected.records, reference.records, database=reference.schema != OURS)
    return detected, reference, pairs
