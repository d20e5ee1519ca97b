"""calfin:extract_fronts — probability raster → calving-front lines."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterFeatureSink

from ..adapter.layers import check_file_destinations, destination
from ..core.contract import EDGE_LOW_THRESHOLD, EDGE_THRESHOLD  # constants only
from . import parameters as params
from .base import EXTRACTION_HELP, CalfinAlgorithm
from .detect_fronts import add_extraction, extraction_options, write_fronts


class ExtractFrontsAlgorithm(CalfinAlgorithm):
    _name = "extract_fronts"
    _display_name = "Extract calving fronts from probabilities"
    _help = (
        "Turns a front-edge probability raster (band 1 of calfin:segment's output) into "
        f"lines as CALFIN does: threshold ({EDGE_THRESHOLD:g}; weaker pixels down to "
        f"{EDGE_LOW_THRESHOLD:g} are kept where "
        "they join the stronger ones), optional search-area polygon to drop "
        "coastline and fjord walls, skeletonize, keep the longest path of each piece's "
        "minimum spanning tree, drop pieces shorter than the minimum length, simplify, and "
        "georeference with the raster's geotransform and CRS.",
        EXTRACTION_HELP,
    )
    _band_help = False

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        params.add_scene(
            self, "Edge probability band (band 1)", "Probabilities (calfin:segment output)"
        )
        params.add_clip(self)
        params.add_glacier_id(self)
        add_extraction(self)
        self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", "Calving fronts"))
        params.add_count_outputs(self)

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.detect.picking import extract_from_raster
        from ..core.detect.segmentation import DetectOptions, front_records
        from ..core.geo import rasters
        from ..core.products import sources
        from ..core.products.scene_identity import SOURCE_KEY

        check_file_destinations(destination(parameters, "OUTPUT"))
        layer, path, band = params.scene_inputs(self, parameters, context)
        glacier_id = self.parameterAsString(parameters, "GLACIER_ID", context)
        options = DetectOptions(
            clip=params.clip_geometry(self, parameters, context, layer.crs()),
            glacier_id=glacier_id,
            **extraction_options(self, parameters, context),
        )
        scene = sources.open_source(path, band)  # the probabilities remember their scene
        result, fronts = extract_from_raster(scene.scene, options)
        for warning in result.warnings:
            feedback.pushWarning(warning)
        model = rasters.read_metadata(path).get(SOURCE_KEY, "calfin_qgis extract_fronts")
        records = front_records(
            fronts, scene.scene, scene.metadata, model, glacier_id, suspect=result.suspect
        )
        dest = write_fronts(self, parameters, context, feedback, records, layer.crs(), layer.name())
        return {"OUTPUT": dest, **params.count_results([len(records)])}
