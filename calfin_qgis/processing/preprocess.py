"""calfin:preprocess — scene band → the network's 3-channel input raster."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterDestination

from ..adapter.layers import check_file_destinations
from . import parameters as params
from .base import RESAMPLE_HELP, CalfinAlgorithm, progress_callbacks


class PreprocessAlgorithm(CalfinAlgorithm):
    _name = "preprocess"
    _display_name = "Preprocess scene for CALFIN"
    _help = (
        "Writes the three channels the network sees, as CALFIN prepares its input: the "
        "band stretched between its 0.5 and 99.5 percentiles (nodata ignored), a local "
        "contrast (CLAHE) version and a retinex-like shadows/highlights version, each in "
        "0-1, in the scene's CRS. Useful to inspect what the model is given; calfin:segment and "
        "calfin:detect_fronts do this themselves, and also accept this output as their "
        "scene (its band parameter is then ignored).",
        RESAMPLE_HELP,
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        params.add_scene(self)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", "Model input"))
        params.add_resample(self)

    def compute(self, parameters, context, feedback) -> dict:
        from ..core import contract
        from ..core.detect.grid import averaging_text, scene_warnings
        from ..core.detect.segmentation import preprocess_scene
        from ..core.products import sources

        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        check_file_destinations(output, geotiff=True)
        _, path, band = params.scene_inputs(self, parameters, context)
        source = sources.open_source(path, band)
        scene = source.scene
        resample = self.parameterAsBoolean(parameters, "RESAMPLE", context)
        for warning in scene_warnings(scene, contract.TRAIN_PIXEL_SIZE_M, resample):
            feedback.pushWarning(warning)
        written = preprocess_scene(
            source,
            output,
            progress=progress_callbacks(feedback)[0],
            cancelled=feedback.isCanceled,
            overwrite=True,
            resample=resample,
        )
        averaged = averaging_text(scene, written)
        if averaged:
            feedback.pushInfo(averaged)
        return {"OUTPUT": output}
