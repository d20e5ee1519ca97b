"""calfin:detect_fronts — the one-click job: scene → front lines (and probabilities)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterRasterDestination,
    QgsWkbTypes,
)

from ..adapter.layers import (
    add_records,
    check_file_destinations,
    destination,
    file_path,
    make_fields,
)
from ..core.detect.options import EXTRACTION  # constants only
from . import parameters as params
from .base import EXTRACTION_HELP, FLOW_HELP, INFERENCE_HELP, RESAMPLE_HELP, CalfinAlgorithm


def add_extraction(alg) -> None:
    """Thresholds, minimum length, simplification and front count, shared with extract_fronts."""
    params.add_options(alg, EXTRACTION)


def extraction_options(alg, parameters, context) -> dict:
    return params.option_values(alg, parameters, context, EXTRACTION)


def write_fronts(alg, parameters, context, feedback, records, crs, source_name: str) -> str:
    """Create the OUTPUT sink only now, so a failed or cancelled run leaves no file behind."""
    from ..core import schema

    fields = make_fields(schema.FRONT_FIELDS)
    sink, dest = alg.parameterAsSink(
        parameters, "OUTPUT", context, fields, QgsWkbTypes.LineString, crs
    )
    if context.willLoadLayerOnCompletion(dest):  # batch rows load as distinct layers
        context.layerToLoadOnCompletionDetails(dest).name = f"Calving fronts {source_name}"
    add_records(sink, fields, records)
    if file_path(dest).lower().endswith(".csv"):
        feedback.pushWarning("A CSV file keeps the attributes only: save as .gpkg for the lines.")
    if records:
        feedback.pushInfo(f"{len(records)} front(s) found in {source_name}")
    else:
        feedback.pushWarning(
            f"No calving front found in {source_name}: the output layer is empty. Try a "
            "lower edge threshold or minimum length, the ice flow direction, or another scene."
        )
    return dest


class DetectFrontsAlgorithm(CalfinAlgorithm):
    _name = "detect_fronts"
    _display_name = "Detect calving fronts"
    _help = (
        "The whole CALFIN chain in one step: preprocess the scene band, run the bundled "
        "neural network in overlapping tiles, threshold the front-edge probability, "
        "skeletonize, keep the longest path of each piece's minimum spanning tree, and write "
        "the fronts as lines in the scene's CRS with the attributes glacier_id, image_id, "
        "date, qual_flag (10 automatic, 13 automatic low confidence), confidence, length_m, "
        "source, sensor, path_row and cloud_cover. Ids, dates and the last three come from "
        "the product's metadata file when the band file lies in its product (beside its "
        "MTL, inside its .SAFE or .tar), else from Landsat/Sentinel-2 file names.",
        "A search-area polygon (CLIP: the fjord, in any CRS) restricts both the processing "
        "window and the fronts; without it the whole scene is processed.",
        "An input that does not look like a satellite band (a colour photograph or "
        "composite, a JPEG without georeference, an ice/ocean mask without one ice and one "
        "ocean side) is warned about in the log, and its fronts get qual_flag 13.",
        FLOW_HELP,
        RESAMPLE_HELP,
        INFERENCE_HELP,
        EXTRACTION_HELP,
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        params.add_scene(self)
        params.add_clip(self)
        params.add_glacier_id(self)
        params.add_inference(self)
        add_extraction(self)
        self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", "Calving fronts"))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                "PROBABILITIES", "Probabilities", optional=True, createByDefault=False
            )
        )
        params.add_count_outputs(self)

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.detect.segmentation import write_probabilities
        from ..core.geo import rasters

        probabilities = self.parameterAsOutputLayer(parameters, "PROBABILITIES", context)
        check_file_destinations(destination(parameters, "OUTPUT"))
        check_file_destinations(probabilities, geotiff=True)
        layer, result = params.run_job(
            self,
            parameters,
            context,
            feedback,
            keep_segmentation=bool(probabilities),
            glacier_id=self.parameterAsString(parameters, "GLACIER_ID", context),
            **extraction_options(self, parameters, context),
        )
        results = params.count_results([len(result.records)])
        # The probabilities reach their name only once the fronts are written too.
        with rasters.optional_output(probabilities, overwrite=True) as tmp:
            if tmp:
                write_probabilities(tmp, result.segmentation, result.model_info, overwrite=True)
                results["PROBABILITIES"] = probabilities
            results["OUTPUT"] = write_fronts(
                self, parameters, context, feedback, result.records, layer.crs(), layer.name()
            )
        return results
