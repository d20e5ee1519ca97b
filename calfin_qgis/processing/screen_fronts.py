"""calfin:screen_fronts — a glacier's dated fronts → the same fronts with ``screen``: ok, or
the names of the rules each fails (``core.screening``)."""

from __future__ import annotations

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
)
from qgis.PyQt.QtCore import QVariant

from ..adapter.fronts import source_fronts
from ..adapter.layers import plain, shapely_geometry
from ..core.screening.rules import RULES
from .base import CalfinAlgorithm
from .parameters import add_dated_fronts, add_glacier_field, glacier_field, reference_layer

SCREEN = "screen"


class ScreenFrontsAlgorithm(CalfinAlgorithm):
    _name = "screen_fronts"
    _display_name = "Screen fronts (find the suspects of each glacier's time series)"
    _help = (
        "Checks every glacier's fronts in date order and writes them to OUTPUT with a field "
        "screen: ok, or the names of the rules the front fails, separated by ';'. Review "
        "those first (the review dock sorts them first); terminus_change leaves them out "
        "unless asked. A glacier with one or two fronts is too short a series: its fronts "
        "stay ok, with a note in the log. A front a labeller marked reviewed stays reviewed.",
        "Rules: " + " ".join(f"{name}: {text}" for name, text in RULES.items()),
        "Without BOX or CENTRELINE, fronts are compared by the mean distance between their "
        "lines; with them, by their positions (box method, else centreline; see "
        "terminus_change). CLIP, the glaciers' search polygons (as given to the batch), "
        "enables the edge rule. Fronts with uncertainty_m are only marked as jumps when "
        "they depart by more than it; fronts without it are compared with their glacier's "
        "spread alone. All layers are measured in the first projected CRS among them; the "
        "input layer is never modified.",
        "INPUT may also be a front database's layer (CALFIN level-1, TermPicks, AutoTerm), "
        "recognised by its fields: OUTPUT keeps its fields, plus screen.",
    )
    _band_help = False

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        add_dated_fronts(self)
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "CLIP",
                "Search polygons (edge rule)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        add_glacier_field(self)
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "Screened fronts", QgsProcessing.TypeVectorLine
            )
        )
        self.addOutput(QgsProcessingOutputNumber("SUSPECTS", "Fronts that fail a rule"))

    @staticmethod
    def _fronts(source, field: str):
        """The source's fronts as screening reads them, its features (for the copy) and
        what the reading has to say: ours by our fields, a database's by its own."""
        from ..core.databases.schemas import database_schema
        from ..core.screening.files import database_fronts
        from ..core.screening.series import ScreenFront
        from ..core.terminus.inputs import Layer, check_front_fields, parse_date

        name = f"Layer '{source.sourceName()}'"
        names = source.fields().names()
        if database_schema(names):
            features = list(source.getFeatures())
            fronts = source_fronts(source, glacier_field=field, features=features)
            return database_fronts(fronts), features, fronts.notes
        check_front_fields(names, field, name)

        def get(feature, key):
            return plain(feature[key]) if key in names else None

        def number(value):
            return None if value is None else float(value)

        features, fronts = [], []
        for feature in source.getFeatures():
            features.append(feature)
            fronts.append(
                ScreenFront(
                    glacier_id=str(get(feature, field) or ""),
                    date=parse_date(get(feature, "date")),
                    image_id=str(get(feature, "image_id") or ""),
                    geometry=shapely_geometry(feature),
                    sensor=str(get(feature, "sensor") or ""),
                    uncertainty_m=number(get(feature, "uncertainty_m")),
                    confidence=number(get(feature, "confidence")),
                    status=str(get(feature, "status") or ""),
                    screen=str(get(feature, SCREEN) or ""),
                )
            )
        return Layer(fronts, source.sourceCrs().toWkt(), name), features, []

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.screening.series import screen_fronts

        source = self.parameterAsSource(parameters, "INPUT", context)
        field = glacier_field(self, parameters, context)
        fronts, features, notes = self._fronts(source, field)
        for note in notes:
            feedback.pushWarning(note)
        references = {
            name: reference_layer(self, parameters, context, name, field, kind)
            for name, kind in (("BOX", "box"), ("CENTRELINE", "centreline"), ("CLIP", "polygon"))
        }
        screened = screen_fronts(
            fronts, references["BOX"], references["CENTRELINE"], references["CLIP"]
        )
        for note in screened.notes:
            feedback.pushWarning(note)
        fields = source.fields()
        if fields.indexOf(SCREEN) < 0:
            fields.append(QgsField(SCREEN, QVariant.String))
        sink, dest = self.parameterAsSink(
            parameters, "OUTPUT", context, fields, source.wkbType(), source.sourceCrs()
        )
        index = fields.indexOf(SCREEN)
        for feature, value in zip(features, screened.screens, strict=True):
            attributes = feature.attributes() + [None] * (
                fields.count() - len(feature.attributes())
            )
            attributes[index] = value
            out = QgsFeature(fields)
            out.setGeometry(feature.geometry())
            out.setAttributes(attributes)
            sink.addFeature(out, QgsFeatureSink.FastInsert)
        feedback.pushInfo(
            f"{screened.suspects} of {len(screened.screens)} front(s) fail a rule (field screen)"
        )
        return {"OUTPUT": dest, "SUSPECTS": screened.suspects}
