"""calfin:segment — scene → probability raster (front edge, ice mask)."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterDestination

from ..adapter.layers import check_file_destinations
from . import parameters as params
from .base import FLOW_HELP, INFERENCE_HELP, RESAMPLE_HELP, CalfinAlgorithm


class SegmentAlgorithm(CalfinAlgorithm):
    _name = "segment"
    _display_name = "Segment calving fronts (probabilities)"
    _help = (
        "Runs the bundled CALFIN-style network on a scene (or on the output of "
        "calfin:preprocess) and writes a GeoTIFF of "
        "probabilities in the scene's grid and CRS: band 1 the calving-front edge, band 2 "
        "ice (1) versus ocean (0). The scene is processed in overlapping "
        "tiles blended without seams, block by block to bound memory. With a search-area "
        "polygon only its window (plus a margin) is processed, which is much faster.",
        FLOW_HELP,
        RESAMPLE_HELP,
        INFERENCE_HELP,
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        params.add_scene(self)
        params.add_clip(self)
        params.add_inference(self)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", "Probabilities"))

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.detect.jobs import write_probabilities

        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        check_file_destinations(output, geotiff=True)
        _, result = params.run_job(
            self, parameters, context, feedback, extract=False, keep_segmentation=True
        )
        write_probabilities(output, result, overwrite=True)
        return {"OUTPUT": output}
