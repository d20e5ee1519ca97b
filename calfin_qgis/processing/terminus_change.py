"""calfin:terminus_change — dated fronts → terminus position, change and rate per glacier."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..adapter.fronts import source_fronts, source_glacier_map
from ..adapter.layers import (
    add_records,
    check_file_destinations,
    destination,
    file_path,
    make_fields,
)
from ..core.schema import QUAL_AUTO, QUAL_MANUAL, QUAL_MANUAL_EDITED
from ..core.terminus.inputs import METHODS
from .base import CalfinAlgorithm
from .parameters import (
    add_dated_fronts,
    add_glacier_field,
    glacier_field,
    option_parameter,
    reference_layer,
)
from .values import option_value

DEFAULT_FLAGS = f"{QUAL_MANUAL},{QUAL_MANUAL_EDITED},{QUAL_AUTO}"


class TerminusChangeAlgorithm(CalfinAlgorithm):
    _name = "terminus_change"
    _display_name = "Terminus change over time"
    _help = (
        "Turns dated fronts (detected, reviewed or hand-drawn) into terminus position time "
        "series per glacier, by every method the given geometry allows, each in its own "
        "column. box_position_m (BOX, rectilinear box, Moon and Joughin 2008): the area of "
        "the box between its upstream edge and the front, divided by the box's mean width. "
        "curvilinear_box_position_m (a box BOX_WIDTH metres wide built along the centreline, "
        "Lea 2018): the same along a bending fjord. centreline_position_m (CENTRELINE, Lea, "
        "Mair and Rea 2014): the distance along the centreline to its first crossing with the "
        "front. extrapolated_centreline_position_m: the mean, over points along the front, of "
        "the centreline distance interpolated to each point by inverse distance weighting. "
        "multi_centreline_position_m: the mean over 11 lines parallel to the centreline "
        "across the width (BOX_WIDTH, else the box's); PROFILES gets each line's position.",
        "Direction: detected fronts record their ice side (flow_azimuth); a centreline is "
        "reversed, or a box's upstream edge moved from its first edge, only when most of "
        "them contradict the drawing, with a warning. Hand-drawn fronts follow the drawing: "
        "centrelines from upstream to the ocean, boxes starting with their upstream edge "
        "(with a centreline, the box's upstream edge is where the centreline enters it). "
        "A front that ends inside a box is extended to the box's sides (its end direction, "
        "or the shortest line); the added length is extended_m, with a warning.",
        "Without a box or a centreline for a glacier, GLACIERS (its polygon) gives one: a "
        "centreline along the polygon's middle through the fronts, oriented by their ice "
        "side, and a curvilinear box of the polygon's width there; GEOMETRY shows (and lets "
        "you edit) every box and centreline used. Boxes, centrelines and polygons find their "
        "fronts by GLACIER_FIELD (a layer with a single feature and no such field serves the "
        "one glacier). All layers are reprojected into the first projected CRS among them.",
        "Fronts may be ours or a database's (CALFIN, TermPicks, AutoTerm: recognised by "
        "their fields; GLACIER_MAP links their integer glacier ids to the boxes' ids; their "
        "QualFlag is read as ours: manual 0, automatic 10; TermPicks' month 00 fronts are "
        "dated 1 July).",
        f"Only fronts whose qual_flag is in QUAL_FLAGS (default {DEFAULT_FLAGS}: hand-drawn, "
        "edited and automatic high-confidence) are used; fronts the review rejected never "
        "are. Several fronts of one glacier on one date are one position (their union). "
        "Fronts that screening marked (field screen, calfin:screen_fronts) are left out and "
        "listed in the log and the report; KEEP_SCREENED measures them too, greyed in the "
        "report.",
        "OUTPUT: one row per glacier and date; change_m since the first date and "
        "rate_m_per_yr to the previous one, of the METHOD position (or, where the glacier "
        "lacks it, the first computed, with a note); a negative change is a retreat. A rate "
        "over less than 90 days beyond the glacier's usual range is marked in warning. A "
        "front that cannot be measured keeps its row with the reason in warning. A .csv "
        "OUTPUT is the same file the CLI writes (ISO dates, metres to the millimetre). "
        "REPORT: a glacier × year coverage grid, then per glacier a plot of every computed "
        "method. BOX_CUTS: the measured part of each box.",
    )
    _band_help = False

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        add_dated_fronts(self)
        width = QgsProcessingParameterNumber(
            "BOX_WIDTH",
            "Curvilinear box width along the centreline (m)",
            QgsProcessingParameterNumber.Double,
            optional=True,
            minValue=0.001,
        )
        self.addParameter(width)
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "GLACIERS",
                "Glacier polygons (automatic centreline and box where none is drawn)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        add_glacier_field(self)
        self.addParameter(option_parameter("METHOD", "Position used for change", list(METHODS)))
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
        self._add_outputs()

    def _add_outputs(self) -> None:
        """The positions table, the report, and the optional layers of what was measured."""
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
        for name, title, kind in (
            ("BOX_CUTS", "Measured box parts", QgsProcessing.TypeVectorPolygon),
            ("GEOMETRY", "Boxes and centrelines used", QgsProcessing.TypeVectorLine),
            ("PROFILES", "Multi-centreline profiles", QgsProcessing.TypeVector),
        ):
            self.addParameter(
                QgsProcessingParameterFeatureSink(
                    name, title, kind, optional=True, createByDefault=False
                )
            )

    @staticmethod
    def _fronts(source, field: str, glacier_map):
        from ..core.terminus.layers import fronts_layer

        fronts = source_fronts(source, glacier_map=glacier_map, glacier_field=field)
        return fronts_layer(fronts, field), fronts.notes

    def _run(self, parameters, context):
        from ..core.terminus.change import terminus_change
        from ..core.terminus.inputs import parse_flags

        field = glacier_field(self, parameters, context)

        def references(name, kind):
            return reference_layer(self, parameters, context, name, field, kind)

        glacier_map = source_glacier_map(self.parameterAsSource(parameters, "GLACIER_MAP", context))
        fronts, notes = self._fronts(
            self.parameterAsSource(parameters, "INPUT", context), field, glacier_map
        )
        width = parameters.get("BOX_WIDTH")
        return terminus_change(
            fronts,
            references("BOX", "box"),
            references("CENTRELINE", "centreline"),
            parse_flags(self.parameterAsString(parameters, "QUAL_FLAGS", context)),
            method=option_value(self, parameters, "METHOD", context),
            box_width=None
            if width in (None, "")
            else self.parameterAsDouble(parameters, "BOX_WIDTH", context),
            glaciers=references("GLACIERS", "glacier polygon"),
            keep_screened=self.parameterAsBoolean(parameters, "KEEP_SCREENED", context),
        ), notes

    def _table(self, parameters, context, name, spec, records, crs, geometry=None):
        """Write ``records`` to the sink ``name``; a .csv file is rewritten as the CLI writes
        it. Returns the destination or None when the sink was not asked for."""
        from ..core.terminus.layers import write_records

        fields = make_fields(spec)
        kind = geometry or QgsWkbTypes.NoGeometry
        sink, dest = self.parameterAsSink(parameters, name, context, fields, kind, crs)
        if sink is None:
            return None
        add_records(sink, fields, records, geometry=geometry is not None)
        del sink  # closed, so that a CSV can be rewritten
        if geometry is None and file_path(dest).lower().endswith(".csv"):
            write_records(file_path(dest), records, spec, overwrite=True)
        return dest

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.terminus.report import write_terminus_report
        from ..core.terminus.table import CUT_FIELDS, GEOMETRY_FIELDS, PROFILE_FIELDS, TABLE_FIELDS

        report = self.parameterAsFileOutput(parameters, "REPORT", context)
        check_file_destinations(
            report,
            *(destination(parameters, n) for n in ("OUTPUT", "BOX_CUTS", "GEOMETRY", "PROFILES")),
        )
        result, notes = self._run(parameters, context)
        for note in notes + result.notes:
            feedback.pushWarning(note)
        crs = QgsCoordinateReferenceSystem.fromWkt(result.crs_wkt)
        rows = [row.record() for row in result.rows]
        results = {"OUTPUT": self._table(parameters, context, "OUTPUT", TABLE_FIELDS, rows, crs)}
        cuts = result.cut_records()
        outputs = (
            ("BOX_CUTS", CUT_FIELDS, cuts, QgsWkbTypes.MultiPolygon),
            ("GEOMETRY", GEOMETRY_FIELDS, result.geometry, QgsWkbTypes.LineString),
            ("PROFILES", PROFILE_FIELDS, result.profiles, None),
        )
        for name, spec, records, geometry in outputs:
            dest = self._table(parameters, context, name, spec, records, crs, geometry)
            if dest is not None:
                results[name] = dest
        measured = [r for r in result.rows if r.change_m is not None]
        feedback.pushInfo(
            f"{len(measured)} of {len(result.rows)} glacier-date(s) measured, "
            f"{len(result.methods)} glacier(s)"
        )
        if report:
            write_terminus_report(report, result, overwrite=True)
            results["REPORT"] = report
        return results
