"""calfin:evaluate_fronts — detected vs reference fronts: per-image table and HTML report."""

from __future__ import annotations

import dataclasses

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsUnitTypes,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..adapter.layers import (
    add_records,
    check_file_destinations,
    destination,
    file_path,
    make_fields,
    unquote_csv,
)
from ..core import schema  # constants only
from ..core.contract import TRAIN_PIXEL_SIZE_M  # constants only
from .base import CalfinAlgorithm
from .evaluate_inputs import (
    add_database_parameters,
    close_reference,
    flow,
    glacier_polygons,
    mask_scorer,
    read_inputs,
)
from .evaluate_report import metres_per_unit, report_inputs


def image_key(value) -> str | None:
    """An image id to pair fronts by: NULL is none, 7.0 reads as 7, a trailing _Subset or
    _Front (FrontLearning's file names) is dropped."""
    from ..core.evaluation.pairing import id_key

    if isinstance(value, QVariant) and value.isNull():
        return None
    return id_key(value)


def layers_crs(detected, reference) -> QgsCoordinateReferenceSystem:
    """The CRS both layers are compared in: the reference's, or none (invalid) when both
    are in pixel coordinates (no CRS, or a GeoPackage's 'Undefined geographic SRS', which
    QGIS reads as degrees); one in pixels and one on the map cannot be compared."""
    from ..core.geo.reproject import defined

    pixels = [not defined(s.sourceCrs().toWkt()) for s in (detected, reference)]
    if pixels[0] != pixels[1]:
        inside, outside = (detected, reference) if pixels[0] else (reference, detected)
        raise QgsProcessingException(
            f"'{inside.sourceName()}' is in pixel coordinates (no CRS) and "
            f"'{outside.sourceName()}' in {outside.sourceCrs().authid() or 'a map CRS'}: "
            "they cannot be compared. Give two layers in pixel coordinates, or two with a CRS."
        )
    return QgsCoordinateReferenceSystem() if pixels[0] else reference.sourceCrs()


NUMBER_OUTPUTS = (
    ("MEAN_PX", "Pooled mean distance (pixels)"),
    ("MEDIAN_PX", "Pooled median distance (pixels)"),
    ("NO_FRONT", "Images without a detected front"),
    ("IMAGES", "Images compared"),
    ("MEAN_M", "Pooled mean distance (metres)"),
    ("MEDIAN_M", "Pooled median distance (metres)"),
    ("LINE_IOU", "Mean line IoU"),
    ("MASK_IOU", "Mean ice mask IoU"),
    ("BIAS_M", "Mean bias, metres (+ ours ahead)"),
)
"""The pooled figures in the results (`qgis_process run --json`, the modeler)."""


class EvaluateFrontsAlgorithm(CalfinAlgorithm):
    _name = "evaluate_fronts"
    _display_name = "Evaluate calving fronts"
    _help = (
        "Compares detected fronts with reference fronts matched by an id field (e.g. "
        "image_id). Both are rasterised on a grid of the given pixel size; the error is "
        "CALFIN's: for every pixel of each line the distance to the nearest pixel of the "
        "other, pooled both ways. Writes a table of per-image mean and median distance "
        "(pixels and metres) and line IoU (3 px), and an HTML report with the pooled mean "
        "and median, the number of images with no detected front, a histogram of errors "
        "and a plot of each front pair.",
        "Pixel size (the grid the errors are counted in): PIXEL_SIZE when given; else that "
        "of SCENE (a scene of the fronts, or calfin:segment's probabilities, whose grid "
        "the fronts were traced on); else 1 when the layers have no CRS (fronts of scenes "
        "without georeference are in pixel coordinates); else the model's "
        f"{TRAIN_PIXEL_SIZE_M:g} m (the grid detect_fronts traces fronts on, scenes much "
        "finer being averaged to it). The log and the report say which was used.",
        "Report: what was compared (layers, model, pixel size, date), the errors by "
        "glacier, sensor, season and Landsat 7 SLC state, the images worst first, and each "
        "front pair over a grey thumbnail of its scene, found by image id among the "
        "project's raster layers and in the Scenes folder (SCENES).",
        "A reference from a label raster (the front as a line of black (0) pixels on white, "
        "e.g. FrontLearning's X_Front.png): Raster calculator (gdal:rastercalculator, FORMULA "
        "A==0, RTYPE 0 = Byte) to a 0/1 raster named after the scene (X_Front.tif), "
        "then calfin:extract_fronts on it with THRESHOLD 0.5, MIN_LENGTH 0, SIMPLIFY 0: the "
        "lines follow the label's pixels and carry its image_id. A hand-drawn "
        "reference: a line layer in the scene's CRS with a text field image_id set to "
        "the scene's id (file name without extension and _Subset), the front digitised from "
        "fjord wall to fjord wall.",
        "A database as reference: CALFIN level-1 lines or _closed_ polygons, TermPicks and "
        "AutoTerm layers are taken as they are (their fields are recognised). Their fronts "
        "pair with ours by image id, else by glacier and date (GLACIER_MAP links their "
        "integer GlacierID to our glacier_id; CALFIN's glacier names match the shared "
        "polygons by themselves); the log says how many paired how, and fronts that pair "
        "with nothing are left out. The table and report then give, per glacier and date "
        "in both, the distance between the fronts and the bias (our front's mean signed "
        "distance from theirs: + ahead, - behind), and the series' mean bias.",
        "Mask IoU (the ice/ocean mask overlap CALFIN reports) and the bias need ice masks: "
        "give GLACIERS, the glacier polygons (glacier_id), which the fronts close; the ice "
        "side is the reference's _closed_ polygon, else the upstream end of FLOW (the way "
        "the ice moves on the north-up map: up = north). A _closed_ polygon's "
        "front line is its outline away from the glacier polygon's edge (without GLACIERS, "
        "its whole outline: give CALFIN's line file for the distances).",
    )
    _band_help = False

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self._add_fronts()
        add_database_parameters(self)
        self._add_grid()
        self._add_outputs()

    def _add_fronts(self) -> None:
        """The detected and reference layers and the image id fields that pair them."""
        lines = [QgsProcessing.TypeVectorLine]
        self.addParameter(QgsProcessingParameterFeatureSource("INPUT", "Detected fronts", lines))
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "REFERENCE",
                "Reference fronts (ours, CALFIN, TermPicks or AutoTerm)",
                [QgsProcessing.TypeVectorLine, QgsProcessing.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "ID_FIELD", "Image id field", "image_id", "INPUT", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "REFERENCE_ID_FIELD",
                "Reference image id field",
                "image_id",
                "REFERENCE",
                optional=True,
            )
        )

    def _add_grid(self) -> None:
        """What gives the pixel size errors are counted in, and the scenes of the plots."""
        self.addParameter(
            QgsProcessingParameterNumber(
                "PIXEL_SIZE",
                "Pixel size of the scenes, in the reference layer's CRS units (empty: the "
                "scene's below, else the model's)",
                QgsProcessingParameterNumber.Double,
                None,
                True,
                0.0001,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "SCENE", "Scene or probability raster, for its pixel size", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "SCENES",
                "Scenes folder (for the report's front plots)",
                QgsProcessingParameterFile.Folder,
                optional=True,
            )
        )

    def _add_outputs(self) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "Per-image metrics", QgsProcessing.TypeVector
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "REPORT", "HTML report", "HTML files (*.html)", optional=True
            )
        )
        for name, description in NUMBER_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(name, description))

    def _pixel_size(self, parameters, context, crs, metres: float) -> tuple[float, str]:
        """The grid's pixel size in the reference CRS's units, and where it came from;
        layers in pixel coordinates are counted in pixels, whatever PIXEL_SIZE says."""
        if not crs.isValid():
            return 1.0, "the layers have no CRS: pixel coordinates"
        if parameters.get("PIXEL_SIZE") not in (None, ""):
            return self.parameterAsDouble(parameters, "PIXEL_SIZE", context), "PIXEL_SIZE"
        scene = self.parameterAsRasterLayer(parameters, "SCENE", context)
        if scene is not None:
            return self._scene_pixel_size(scene, crs, metres)
        return TRAIN_PIXEL_SIZE_M / metres, (
            "the model's grid: neither PIXEL_SIZE nor SCENE given; give one for errors in "
            "your scenes' pixels"
        )

    @staticmethod
    def _scene_pixel_size(scene, crs, metres: float) -> tuple[float, str]:
        scene_crs = scene.crs()
        if scene_crs.isValid() and scene_crs.isGeographic():
            raise QgsProcessingException(
                f"SCENE '{scene.name()}' is in a geographic CRS (degrees): give PIXEL_SIZE "
                "in the reference layer's units instead."
            )
        size = (scene.rasterUnitsPerPixelX() + scene.rasterUnitsPerPixelY()) / 2
        if scene_crs.isValid() and crs.isValid():
            to_metres = QgsUnitTypes.fromUnitToUnitFactor(
                scene_crs.mapUnits(), QgsUnitTypes.DistanceMeters
            )
            size *= to_metres / metres
        return size, f"from SCENE {scene.name()}"

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.evaluation.scoring import evaluate
        from ..core.evaluation.series import mean_bias, series_rows

        report = self.parameterAsFileOutput(parameters, "REPORT", context)
        check_file_destinations(report, destination(parameters, "OUTPUT"))
        crs = self._crs(parameters, context)
        metres = metres_per_unit(crs)
        fronts, reference_fronts, pairs = read_inputs(self, parameters, context, crs)
        detected, reference = pairs.detected, pairs.reference
        feedback.pushInfo(
            f"Reference in the {reference_fronts.schema} layout; paired: {pairs.counts()}"
        )
        pixel_size, pixel_source = self._grid(parameters, context, feedback, crs, metres)
        polygons = glacier_polygons(self, parameters, crs, context)
        direction = flow(self, parameters, context)
        close_reference(pairs, polygons, pixel_size)
        scorer = mask_scorer(pairs, polygons, direction, pixel_size, metres) if polygons else None
        scores, summary, notes = evaluate(detected, reference, pixel_size, metres, scorer)
        notes = [*fronts.notes, *reference_fronts.notes, *pairs.notes, *notes]
        if polygons and not any(s.mask_iou == s.mask_iou for s in scores):
            notes.append(
                "No ice mask could be made: give FLOW (the ice's way on the map) or a "
                "_closed_ reference, and glacier polygons that the fronts cut across."
            )
        for note in notes:
            feedback.pushWarning(note)
        rows = series_rows(scores, pairs.glacier_date, pairs.how)
        dest = self._write_table(parameters, context, scores, pairs)
        feedback.pushInfo(
            f"{summary.n_images} images, {summary.n_no_front} without a front; pooled mean "
            f"{summary.mean_px:.2f} px, median {summary.median_px:.2f} px, line IoU "
            f"{summary.line_iou:.3f}, mask IoU {summary.mask_iou:.3f}"
        )
        bias = mean_bias(rows)
        if bias is not None:
            feedback.pushInfo(f"Mean bias {bias:.1f} m ({'ahead' if bias > 0 else 'behind'})")
        results = {"OUTPUT": dest, **pooled_results(summary, bias)}
        if report:
            info, scenes = report_inputs(self, parameters, context, crs, pixel_size, pixel_source)
            paired = f"{info.id_fields}; {reference_fronts.schema} layout, {pairs.counts()}"
            info = dataclasses.replace(info, id_fields=paired)
            self._write_report(report, scores, summary, pairs, info, scenes, crs, notes, rows)
            results["REPORT"] = report
        return results

    def _crs(self, parameters, context) -> QgsCoordinateReferenceSystem:
        """The CRS the layers are compared in (``layers_crs``), refused in degrees."""
        detected = self.parameterAsSource(parameters, "INPUT", context)
        reference = self.parameterAsSource(parameters, "REFERENCE", context)
        crs = layers_crs(detected, reference)
        if crs.isGeographic():
            raise QgsProcessingException(
                "The reference layer is in a geographic CRS (degrees). Reproject both layers "
                "to a projected CRS in metres (e.g. EPSG:3413 for Greenland) first."
            )
        return crs

    def _grid(self, parameters, context, feedback, crs, metres: float) -> tuple[float, str]:
        """``_pixel_size``, said in the log (with a warning when PIXEL_SIZE is left out)."""
        if not crs.isValid() and parameters.get("PIXEL_SIZE") not in (None, ""):
            feedback.pushWarning(
                "PIXEL_SIZE is left out: the layers are in pixel coordinates, so the errors "
                "are counted in those pixels (a size in metres needs layers with a CRS)."
            )
        pixel_size, pixel_source = self._pixel_size(parameters, context, crs, metres)
        units = QgsUnitTypes.toAbbreviatedString(crs.mapUnits()) if crs.isValid() else "px"
        feedback.pushInfo(f"Pixel size {pixel_size:g} {units} ({pixel_source})")
        return pixel_size, pixel_source

    def _write_table(self, parameters, context, scores, pairs) -> str:
        """The per-image table into the OUTPUT sink; returns its destination."""
        from ..core.evaluation.scoring import table_rows

        fields = make_fields(schema.EVALUATION_FIELDS)
        sink, dest = self.parameterAsSink(
            parameters, "OUTPUT", context, fields, QgsWkbTypes.NoGeometry
        )
        records = table_rows(scores, pairs.glacier_date, pairs.how)
        add_records(sink, fields, records, geometry=False)
        del sink  # closed, so that a CSV can be rewritten
        if file_path(dest).lower().endswith(".csv"):
            unquote_csv(file_path(dest))
        return dest

    @staticmethod
    def _write_report(report, scores, summary, pairs, info, scenes, crs, notes, rows) -> None:
        from ..core.evaluation.report import write_report
        from ..core.evaluation.series import series_html

        write_report(
            report,
            scores,
            summary,
            pairs.detected,
            pairs.reference,
            info,
            scenes,
            crs.toWkt(),
            notes,
            series_html(rows),
        )


def pooled_results(summary, bias: float | None) -> dict:
    """The NUMBER_OUTPUTS values of an evaluation's summary and mean bias."""
    return {
        "MEAN_PX": summary.mean_px,
        "MEDIAN_PX": summary.median_px,
        "NO_FRONT": summary.n_no_front,
        "IMAGES": summary.n_images,
        "MEAN_M": summary.mean_m,
        "MEDIAN_M": summary.median_m,
        "LINE_IOU": summary.line_iou,
        "MASK_IOU": summary.mask_iou,
        "BIAS_M": bias,
    }
