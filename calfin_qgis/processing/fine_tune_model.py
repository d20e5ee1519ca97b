"""calfin:fine_tune_model — a labeller's trusted fronts → a model fine-tuned on their glacier."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
)

from ..adapter.fronts import source_fronts
from ..adapter.layers import plain, shapely_geometry
from .base import CalfinAlgorithm, feedback_log, progress_callbacks


class FineTuneModelAlgorithm(CalfinAlgorithm):
    _name = "fine_tune_model"
    _display_name = "Fine-tune the model on your fronts"
    _band_help = False
    _help = (
        "Teaches the network your glacier: fine-tunes every member of the base model "
        "(BASE_MODEL, empty: the bundled one) on the trusted fronts of FRONTS for MINUTES "
        "minutes on the CPU and writes a new ONNX model (OUTPUT) with a card beside it "
        "(same name, .md). Give it to MODEL of detect_fronts, segment or detect_fronts_batch.",
        "FRONTS: fronts with an image_id field. The review dock's accepted, edited and "
        "redrawn fronts are used (or qual_flag 0 / 3); a layer with neither status nor "
        "qual_flag (hand-drawn fronts) is used whole. Their scenes are found by image_id in "
        "SCENES (plain rasters, band files, products), as the batch and the dock find them. "
        "A CALFIN level-1 layer is taken as it is: its manual fronts (QualFlag 0 or 3), "
        "their scenes found by ImageID; TermPicks names no scenes, so it cannot be used.",
        "Training pairs are made as the shipped model's were (40 m grid, the scene turned so "
        "that the ice flows up: the ice side comes from the base model's ice probability "
        "along your front), with the plugin's replay scenes of three Greenland glaciers mixed "
        "into every batch so that other glaciers are not forgotten. With 4 or more scenes a "
        "quarter of them is held out and scored before and after; a model worse than the "
        "base there is still written, but flagged in the log and its card.",
        "Needs PyTorch (CPU build, about 200 MB: plugin menu, Install dependencies). The base "
        "file is never changed and the bundled model is never overwritten; a cancelled or "
        "failed run leaves no file behind. Scenes unlike the corrected ones (winter, haze) "
        "may get confident wrong fronts: correct one of those too.",
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "FRONTS", "Trusted fronts", [QgsProcessing.TypeVectorLine]
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "SCENES", "Scenes folder", behavior=QgsProcessingParameterFile.Folder
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "BASE_MODEL",
                "Base model (.onnx; empty: the bundled one)",
                extension="onnx",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "MINUTES",
                "Training time (minutes)",
                QgsProcessingParameterNumber.Double,
                10.0,
                False,
                0.05,
                240.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination("OUTPUT", "Fine-tuned model", "ONNX (*.onnx)")
        )
        self.addOutput(QgsProcessingOutputString("CARD", "Model card"))
        self.addOutput(QgsProcessingOutputNumber("BASE_PX", "Base model on held-out fronts (px)"))
        self.addOutput(QgsProcessingOutputNumber("TUNED_PX", "Fine-tuned on held-out fronts (px)"))

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.databases.schemas import database_schema
        from ..core.errors import InputError
        from ..core.finetune import fronts
        from ..core.finetune.card import report_lines
        from ..core.finetune.runner import fine_tune

        source = self.parameterAsSource(parameters, "FRONTS", context)
        if source is None:
            raise InputError("FRONTS: give a layer of trusted fronts.")
        names = source.fields().names()
        if database_schema(names):
            grouped = fronts.database_scenes(source_fronts(source))
        else:
            features = (
                ({name: plain(f[name]) for name in names}, shapely_geometry(f))
                for f in source.getFeatures()
            )
            grouped = fronts.group_fronts(features, names, source.sourceName())
        crs = source.sourceCrs()
        progress, cancelled = progress_callbacks(feedback)
        result = fine_tune(
            (grouped, crs.toWkt() if crs.isValid() else ""),
            self.parameterAsFile(parameters, "SCENES", context),
            self.parameterAsFileOutput(parameters, "OUTPUT", context),
            minutes=self.parameterAsDouble(parameters, "MINUTES", context),
            base=self.parameterAsFile(parameters, "BASE_MODEL", context) or None,
            overwrite=True,  # the destination dialog asked already
            progress=progress,
            cancelled=cancelled,
            log=feedback_log(feedback),
        )
        for line in report_lines(result):
            (feedback.reportError if result.worse else feedback.pushInfo)(line)
        return {
            "OUTPUT": result.output,
            "CARD": result.card,
            "BASE_PX": result.base_score,
            "TUNED_PX": result.tuned_score,
        }
