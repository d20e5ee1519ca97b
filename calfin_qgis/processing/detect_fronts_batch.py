"""calfin:detect_fronts_batch — a folder of scenes × glacier polygons → one fronts
GeoPackage (appended, resumable) and a status table."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..adapter.layers import add_records, glacier_features, make_fields
from ..core.batch.executors import cpu_count, open_executor
from ..core.detect.options import OPTIONS  # constants only
from . import parameters as params
from .base import (
    EXTRACTION_HELP,
    FLOW_HELP,
    INFERENCE_HELP,
    RESAMPLE_HELP,
    CalfinAlgorithm,
    feedback_log,
    progress_callbacks,
)
from .detect_fronts import add_extraction, extraction_options

BATCH_COUNTS = (
    ("JOBS", "Scene x glacier jobs run (not finished by an earlier run)"),
    ("FRONTS", "Fronts written"),
    ("NO_FRONT", "Jobs without a front"),
    ("FAILED", "Jobs failed"),
    ("SUSPECTS", "Fronts the closing screening marked (field screen)"),
)
"""Counts of this run in the results (`qgis_process run --json`, the modeler)."""


class DetectFrontsBatchAlgorithm(CalfinAlgorithm):
    _name = "detect_fronts_batch"
    _display_name = "Detect calving fronts (batch: scenes × glaciers)"
    _help = (
        "Runs calfin:detect_fronts for every scene in a folder (searched recursively) and "
        "every glacier polygon of CLIP that the scene's footprint overlaps, inside that "
        "polygon, and appends the fronts to one GeoPackage (layer fronts, in the "
        "output CRS, default the polygons' CRS) with a status table: one row per scene "
        "× glacier with image_id, glacier_id, source, status (ok, no front, skipped: no "
        "overlap / outside dates / other sensor / too cloudy, failed: reason), fronts and "
        "seconds. STATUS receives a copy of that table.",
        "A scene that fails is a row with its reason and never stops the run. Each "
        "scene × glacier is committed as it finishes: a cancelled or killed run keeps what it "
        "wrote, and running again with the same OUTPUT skips what is done and does the "
        "rest (resume). Progress counts jobs.",
        "Filters: START_DATE and END_DATE (YYYY-MM-DD), SENSORS (e.g. LC08,LE07), "
        "MAX_CLOUD (%, where the scene's metadata gives it). FLOW applies to every glacier "
        "whose FLOW_FIELD value is empty.",
        "WORKERS (default: the number of cores) runs that many jobs at once, each in its "
        "own Python process with its share of the cores; progress and cancel work as with "
        "one. For a Dask cluster use the shell: calfin batch --scheduler.",
        "SCREEN (default on) screens every glacier's fronts of OUTPUT at the end, as "
        "calfin:screen_fronts does with CLIP as the search polygons: the field screen holds "
        "ok or the rules a front fails; review those first.",
        FLOW_HELP,
        RESAMPLE_HELP,
        INFERENCE_HELP,
        EXTRACTION_HELP,
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self._add_scenes_and_glaciers()
        self._add_filters()
        self._add_run_settings()
        params.add_inference(self)
        add_extraction(self)
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT",
                "Calving fronts (GeoPackage; an existing batch output is resumed)",
                "GeoPackage (*.gpkg)",
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink("STATUS", "Status table", QgsProcessing.TypeVector)
        )
        for name, description in BATCH_COUNTS:
            self.addOutput(QgsProcessingOutputNumber(name, description))

    def _add_scenes_and_glaciers(self) -> None:
        """The scenes folder, the glacier polygons with their id and flow fields, the band."""
        self.addParameter(
            QgsProcessingParameterFile(
                "FOLDER", "Folder of scenes", behavior=QgsProcessingParameterFile.Folder
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "CLIP", "Glacier polygons (one per glacier)", [QgsProcessing.TypeVectorPolygon]
            )
        )
        params.add_glacier_field(self, "CLIP")
        self.addParameter(
            QgsProcessingParameterField(
                "FLOW_FIELD", "Flow direction field (optional)", None, "CLIP", optional=True
            )
        )
        params.add_options(self, [OPTIONS["band"]])

    def _add_filters(self) -> None:
        """Which scenes are left out by their metadata: dates, sensors, cloud cover."""
        for name, label in (("START_DATE", "From date"), ("END_DATE", "To date")):
            self.addParameter(
                QgsProcessingParameterString(name, f"{label} (YYYY-MM-DD)", optional=True)
            )
        self.addParameter(
            QgsProcessingParameterString("SENSORS", "Sensors (e.g. LC08,LE07)", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "MAX_CLOUD",
                "Most cloud cover (%)",
                QgsProcessingParameterNumber.Double,
                None,
                True,
                0,
                100,
            )
        )

    def _add_run_settings(self) -> None:
        """The fronts' CRS, the worker processes and the closing screening."""
        self.addParameter(
            QgsProcessingParameterCrs(
                "OUT_CRS", "CRS of the fronts (default: the polygons')", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "WORKERS",
                "Worker processes (1: in QGIS's own process)",
                QgsProcessingParameterNumber.Integer,
                cpu_count(),
                False,
                1,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "SCREEN", "Screen the fronts at the end (field screen)", True
            )
        )

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.batch.output import FRONTS_LAYER
        from ..core.batch.runner import run_batch

        source = self.parameterAsSource(parameters, "CLIP", context)
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        progress, cancelled = progress_callbacks(feedback)
        with open_executor(self.parameterAsInt(parameters, "WORKERS", context)) as executor:
            feedback.pushInfo(f"Jobs run on {executor.description}")
            summary = run_batch(
                [self.parameterAsFile(parameters, "FOLDER", context)],
                self.glaciers(parameters, context, source, feedback),
                source.sourceCrs().toWkt(),
                output,
                self.template(parameters, context),
                filters=self.filters(parameters, context),
                progress=progress,
                cancelled=cancelled,
                log=feedback_log(feedback),
                executor=executor,
                screen=self.parameterAsBoolean(parameters, "SCREEN", context),
            )
        feedback.pushInfo(f"{output}: {summary.text}")
        if summary.cancelled:  # an error, so that qgis_process and scripts see it unfinished
            raise QgsProcessingException(
                f"Cancelled ({summary.text}): the finished jobs are in {output}; run again "
                "with the same OUTPUT to resume."
            )
        details = QgsProcessingContext.LayerDetails("Calving fronts", context.project(), "OUTPUT")
        context.addLayerToLoadOnCompletion(f"{output}|layername={FRONTS_LAYER}", details)
        return {
            "OUTPUT": output,
            "STATUS": self.write_status(parameters, context, output),
            "JOBS": summary.jobs,
            "FRONTS": summary.fronts,
            "NO_FRONT": summary.statuses["no front"],
            "FAILED": summary.statuses["failed"],
            "SUSPECTS": summary.suspects or 0,
        }

    def glaciers(self, parameters, context, source, feedback) -> list:
        """CLIP's polygons as ``core.glaciers.Glacier`` values."""
        from ..core.batch.glaciers import check_fields, group_glaciers

        id_field = params.glacier_field(self, parameters, context)
        flow_field = self.parameterAsString(parameters, "FLOW_FIELD", context) or None
        name = source.sourceName()
        if not source.sourceCrs().isValid():
            raise QgsProcessingException(f"CLIP: {name} has no CRS. Assign the polygons' CRS.")
        check_fields(name, source.fields().names(), id_field, flow_field)
        features = glacier_features(source, id_field, flow_field)
        return group_glaciers(features, name, feedback.pushWarning)

    def template(self, parameters, context):
        """The settings every job shares, as a ``core.jobs.DetectJob`` without a scene."""
        from ..core.detect.jobs import DetectJob
        from ..core.detect.segmentation import DetectOptions

        out_crs = self.parameterAsCrs(parameters, "OUT_CRS", context)
        return DetectJob(
            "",
            DetectOptions(
                **params.option_values(self, parameters, context, [OPTIONS["band"]]),
                **params.inference_options(self, parameters, context),
                **extraction_options(self, parameters, context),
            ),
            out_crs_wkt=out_crs.toWkt() if out_crs.isValid() else "",
            model=params.model_path(self, parameters, context),
            device=params.device(self, parameters, context),
        )

    def filters(self, parameters, context):
        from ..core.batch.runner import Filters, parse_date, parse_sensors

        def text(name: str) -> str:
            return self.parameterAsString(parameters, name, context)

        cloud = parameters.get("MAX_CLOUD") not in (None, "")
        return Filters(
            parse_date(text("START_DATE"), "START_DATE"),
            parse_date(text("END_DATE"), "END_DATE"),
            parse_sensors(text("SENSORS")),
            self.parameterAsDouble(parameters, "MAX_CLOUD", context) if cloud else None,
        )

    def write_status(self, parameters, context, output: str) -> str:
        """The output's whole status table (earlier runs' rows too) into the STATUS sink."""
        from ..core import schema
        from ..core.batch.output import read_status

        fields = make_fields(schema.STATUS_FIELDS)
        sink, dest = self.parameterAsSink(
            parameters,
            "STATUS",
            context,
            fields,
            QgsWkbTypes.NoGeometry,
            QgsCoordinateReferenceSystem(),
        )
        add_records(sink, fields, read_status(output), geometry=False)
        return dest
