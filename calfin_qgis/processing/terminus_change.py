"""calfin:terminus_change — dated fronts → terminus position, change and rate per glacier."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..adapter.fronts import source_fronts, source_glacier_map
from ..adapter.layers import (
    add_records,
    check_file_destinations,
    destination,
    make_fields,
    plain,
    shapely_geometry,
)
from ..core.schema import QUAL_AUTO, QUAL_MANUAL, QUAL_MANUAL_EDITED
from .base import CalfinAlgorithm

DEFAULT_FLAGS = f"{QUAL_MANUAL},{QUAL_MANUAL_EDITED},{QUAL_AUTO}"


class TerminusChangeAlgorithm(CalfinAlgorithm):
    _name = "terminus_change"
    _display_name = "Terminus change over time"
    _help = (
        "Turns dated fronts (detected, reviewed or hand-drawn) into a terminus position "
        "time series per glacier. Box (BOX, polygons): the area of the box between "
        "its upstream edge and the front, divided by the box's mean width (rectilinear box, "
        "Moon and Joughin 2008, JGR 113, F02022; curvilinear box, Lea 2018, ESurf 6, "
        "551-561). The upstream edge is the box's first edge (draw the box starting with "
        "it) unless a centreline is given: then the edge where the centreline enters the "
        "box. Centreline (CENTRELINE, lines drawn from upstream to the ocean): the "
        "distance along it to its first crossing with the front; a centreline whose start "
        "lies much nearer the fronts than its end is reversed, with a warning. Boxes and "
        "centrelines find their fronts by GLACIER_FIELD (a layer with a single feature and "
        "no such field serves the one glacier). All layers are reprojected into the first "
        "projected CRS among fronts, boxes, centrelines.",
        "Fronts may be ours or a database's (CALFIN, TermPicks, AutoTerm: recognised by "
        "their fields; GLACIER_MAP links their integer glacier ids to the boxes' ids; their "
        "QualFlag is read as ours: manual 0, automatic 10; TermPicks' month 00 fronts are "
        "dated 1 July).",
        "Only fronts whose qual_flag "
        f"is in QUAL_FLAGS (default {DEFAULT_FLAGS}: hand-drawn, edited and automatic "
        "high-confidence) are used; fronts the review rejected never are. Several fronts of "
        "one glacier on one date are one position (their union). Fronts that screening "
        "marked (field screen, calfin:screen_fronts) are left out and listed in the log and "
        "the report; KEEP_SCREENED measures them too, greyed in the report.",
        "Outputs: "
        "OUTPUT, one row per glacier and date (box_position_m, centreline_position_m, "
        "change_m since the first date and rate_m_per_yr to the previous one, of the box "
        "position where there is a box; a negative change is a retreat); a front that "
        "cannot be measured keeps its row with the reason in its warning field. REPORT: an "
        "HTML time-series plot per glacier with total change, mean annual rate and largest "
        "retreat. BOX_CUTS: the measured part of each box (what the position is the area "
        "of).",
    )
    _band_help = False

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        lines, polygons = [QgsProcessing.TypeVectorLine], [QgsProcessing.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterFeatureSource("INPUT", "Dated fronts", lines))
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "BOX", "Boxes (polygons, upstream edge first)", polygons, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "CENTRELINE", "Centrelines (drawn upstream → ocean)", lines, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "GLACIER_FIELD", "Glacier id field", "glacier_id", "INPUT", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "GLACIER_MAP",
                "Glacier map, for database fronts (glacier_id and their integer GlacierID)",
                [QgsProcessing.TypeVector],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "QUAL_FLAGS", "qual_flag values of the fronts to use", DEFAULT_FLAGS
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "KEEP_SCREENED", "Measure the fronts screening marked too", False
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "Terminus positions", QgsProcessing.TypeVector
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "REPORT", "HTML report", "HTML files (*.html)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                "BOX_CUTS",
                "Measured box parts",
                QgsProcessing.TypeVectorPolygon,
                optional=True,
                createByDefault=False,
            )
        )

    @staticmethod
    def _fronts(source, field: str, glacier_map):
        from ..core.terminus.layers import fronts_layer

        fronts = source_fronts(source, glacier_map=glacier_map, glacier_field=field)
        return fronts_layer(fronts, field), fronts.notes

    @staticmethod
    def _references(source, field: str, kind: str):
        from ..core.terminus.change import Layer, by_glacier

        if source is None:
            return None
        name = f"{kind.capitalize()} layer '{source.sourceName()}'"
        has_id = field in source.fields().names()
        items = [
            (plain(f[field]) if has_id else None, shapely_geometry(f))
            for f in source.getFeatures()
            if f.hasGeometry()
        ]
        items = [(None if g is None else str(g), geometry) for g, geometry in items]
        return Layer(by_glacier(items, kind, name, field), source.sourceCrs().toWkt(), name)

    def compute(self, parameters, context, feedback) -> dict:
        import shapely

        from ..core.terminus.change import CUT_FIELDS, TABLE_FIELDS, parse_flags, terminus_change
        from ..core.terminus.report import write_terminus_report

        report = self.parameterAsFileOutput(parameters, "REPORT", context)
        check_file_destinations(
            report, destination(parameters, "OUTPUT"), destination(parameters, "BOX_CUTS")
        )
        field = self.parameterAsString(parameters, "GLACIER_FIELD", context) or "glacier_id"
        glacier_map = source_glacier_map(self.parameterAsSource(parameters, "GLACIER_MAP", context))
        fronts, notes = self._fronts(
            self.parameterAsSource(parameters, "INPUT", context), field, glacier_map
        )
        result = terminus_change(
            fronts,
            self._references(self.parameterAsSource(parameters, "BOX", context), field, "box"),
            self._references(
                self.parameterAsSource(parameters, "CENTRELINE", context), field, "centreline"
            ),
            parse_flags(self.parameterAsString(parameters, "QUAL_FLAGS", context)),
            keep_screened=self.parameterAsBoolean(parameters, "KEEP_SCREENED", context),
        )
        for note in notes + result.notes:
            feedback.pushWarning(note)
        crs = QgsCoordinateReferenceSystem.fromWkt(result.crs_wkt)
        fields = make_fields(TABLE_FIELDS)
        sink, dest = self.parameterAsSink(
            parameters, "OUTPUT", context, fields, QgsWkbTypes.NoGeometry, crs
        )
        add_records(sink, fields, [row.record() for row in result.rows], geometry=False)
        results = {"OUTPUT": dest}
        cut_fields = make_fields(CUT_FIELDS)
        cuts, cuts_dest = self.parameterAsSink(
            parameters, "BOX_CUTS", context, cut_fields, QgsWkbTypes.MultiPolygon, crs
        )
        if cuts is not None:
            records = [
                {**row.record(), "geometry": shapely.multipolygons(shapely.get_parts(row.cut))}
                for row in result.rows
                if row.cut is not None
            ]
            add_records(cuts, cut_fields, records)
            results["BOX_CUTS"] = cuts_dest
        measured = [r for r in result.rows if r.change_m is not None]
        feedback.pushInfo(
            f"{len(measured)} of {len(result.rows)} glacier-date(s) measured, "
            f"{len(result.methods)} glacier(s)"
        )
        if report:
            write_terminus_report(report, result, overwrite=True)
            results["REPORT"] = report
        return results
