"""Processing provider ``calfin``: loads even without onnxruntime or the model file.

Algorithms import the heavy pipeline only when they run, so a missing package shows up as
a clear error message in the algorithm's log instead of a provider that fails to load.
"""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .base import ICON


def algorithm_classes() -> list[type]:
    from .detect_fronts import DetectFrontsAlgorithm
    from .detect_fronts_batch import DetectFrontsBatchAlgorithm
    from .evaluate_fronts import EvaluateFrontsAlgorithm
    from .export_fronts import ExportFrontsAlgorithm
    from .extract_fronts import ExtractFrontsAlgorithm
    from .fine_tune_model import FineTuneModelAlgorithm
    from .preprocess import PreprocessAlgorithm
    from .screen_fronts import ScreenFrontsAlgorithm
    from .segment import SegmentAlgorithm
    from .suggest_corrections import SuggestCorrectionsAlgorithm
    from .terminus_change import TerminusChangeAlgorithm

    return [
        PreprocessAlgorithm,
        SegmentAlgorithm,
        ExtractFrontsAlgorithm,
        DetectFrontsAlgorithm,
        DetectFrontsBatchAlgorithm,
        EvaluateFrontsAlgorithm,
        TerminusChangeAlgorithm,
        ExportFrontsAlgorithm,
        ScreenFrontsAlgorithm,
        FineTuneModelAlgorithm,
        SuggestCorrectionsAlgorithm,
    ]


class CalfinProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "calfin"

    def name(self) -> str:
        return "CALFIN calving fronts"

    def longName(self) -> str:  # noqa: N802 - QGIS API
        return "CALFIN calving front detection"

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def supportedOutputRasterLayerExtensions(self) -> list[str]:  # noqa: N802 - QGIS API
        """GeoTIFF only: the rasters are written block by block with GDAL's GTiff driver."""
        return ["tif"]

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
