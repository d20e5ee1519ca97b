"""calfin:suggest_corrections — a batch output → the scenes a labeller should correct
before fine-tuning (``core.finetune.suggest``)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..adapter.layers import add_records, make_fields
from .base import CalfinAlgorithm


class SuggestCorrectionsAlgorithm(CalfinAlgorithm):
    _name = "suggest_corrections"
    _display_name = "Suggest scenes to correct (before fine-tuning)"
    _band_help = False
    _help = (
        "Fine-tuning learns from the scenes you correct, so correct the ones the model gets "
        "wrong, across the whole record. INPUT is the GeoPackage a batch wrote "
        "(detect_fronts_batch: fronts, screened, and the status table). Per glacier, its "
        "scenes are split by date into COUNT spans, and each span gives its most suspect "
        "scene: one where no front was found first, then a screened front, then the front "
        "with the largest uncertainty_m. Scenes with a front a labeller kept (the review "
        "dock's accepted, edited or redrawn, or screen = reviewed) are not suggested again.",
        "OUTPUT is a table (glacier_id, date, image_id, reason, source: the scene's path). "
        "Draw or fix those fronts in the review dock (its To correct box lists the same "
        "scenes), then give the reviewed fronts to "
        "fine_tune_model. Measured on held-out Jakobshavn (README, 'Teach it your glacier'): "
        "after five suggested scenes the fine-tuned model found a front on every other "
        "scene; after five summer scenes, not on four.",
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT", "Batch output (GeoPackage)", fileFilter="GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "COUNT", "Scenes per glacier", QgsProcessingParameterNumber.Integer, 5, False, 1
            )
        )
        self.addParameter(
            QgsProcessingParameterString("GLACIER", "Only this glacier_id", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "Scenes to correct", QgsProcessing.TypeVector
            )
        )

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.finetune.suggest import FIELDS, suggest

        chosen, notes = suggest(
            self.parameterAsFile(parameters, "INPUT", context),
            self.parameterAsInt(parameters, "COUNT", context),
            self.parameterAsString(parameters, "GLACIER", context) or None,
        )
        for note in notes:
            feedback.pushWarning(note)
        fields = make_fields(FIELDS)
        sink, dest = self.parameterAsSink(
            parameters, "OUTPUT", context, fields, QgsWkbTypes.NoGeometry
        )
        add_records(sink, fields, (vars(s) for s in chosen), geometry=False)
        for s in chosen:
            feedback.pushInfo(f"{s.glacier_id} {s.date} {s.image_id}: {s.reason}")
        feedback.pushInfo(f"{len(chosen)} scene(s) to correct")
        return {"OUTPUT": dest}
