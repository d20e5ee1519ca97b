"""calfin:export_fronts — fronts in CALFIN, TermPicks or AutoTerm layout, or GeoJSON."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
)

from ..adapter.fronts import source_fronts, source_glacier_map
from ..adapter.layers import file_path
from .base import CalfinAlgorithm
from .parameters import option_parameter, option_value

FORMATS = ["calfin", "termpicks", "autoterm", "geojson"]  # core.databases.write.FORMATS


class ExportFrontsAlgorithm(CalfinAlgorithm):
    _name = "export_fronts"
    _display_name = "Export fronts to CALFIN, TermPicks or AutoTerm"
    _help = (
        "Writes fronts (ours, reviewed or not, or any database layout) so that they can be "
        "merged into the field's databases. FORMAT calfin: CALFIN level-1 lines (GlacierID, "
        "Center_X, Center_Y, Latitude, Longitude, QualFlag, Satellite, Date, ImageID, "
        "GrnlndcN, OfficialN, AltName, RefName, Author); termpicks: TermPicks (GlacierID, "
        "Date, Year, Month, Day, DecDate, QualFlag, Satellite, Author); autoterm: AutoTerm "
        "(Date, Glacier ID, Satellite, Error = uncertainty_m in metres); these three in "
        "EPSG:3413 (reprojected), as a shapefile (.shp) or GeoPackage, followed by cq_flag, "
        "cq_glacier and cq_image (our flag, glacier id and image id, so that the file read "
        "back is the fronts written). geojson: our fields in WGS 84.",
        "QualFlag: ours 0/3 (manual, edited) are CALFIN's manual 0, ours 10/13 (automatic, "
        "low confidence) its automatic 10; 3 is added on Landsat 7 SLC-off scenes (after "
        "31 May 2003), as CALFIN does. Author: the reviewer. GlacierID: from GLACIER_MAP, a "
        "layer or table with glacier_id (ours, text) and GlacierID (the database's integer); "
        "without it the field is empty. Fronts the review rejected are not written.",
    )
    _band_help = False

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "INPUT", "Fronts", [QgsProcessing.TypeVectorAnyGeometry]
            )
        )
        self.addParameter(option_parameter("FORMAT", "Format", FORMATS))
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "GLACIER_MAP",
                "Glacier map (glacier_id and the database's GlacierID)",
                [QgsProcessing.TypeVector],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT",
                "Exported fronts",
                "ESRI Shapefile (*.shp);;GeoPackage (*.gpkg);;GeoJSON (*.geojson)",
            )
        )
        self.addOutput(QgsProcessingOutputNumber("COUNT", "Fronts written"))

    def compute(self, parameters, context, feedback) -> dict:
        from ..core.databases.write import check_export_name, export_fronts

        fmt = option_value(self, parameters, "FORMAT", context)
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        check_export_name(file_path(output), fmt)
        glacier_map = source_glacier_map(self.parameterAsSource(parameters, "GLACIER_MAP", context))
        fronts = source_fronts(
            self.parameterAsSource(parameters, "INPUT", context), glacier_map=glacier_map
        )
        feedback.pushInfo(f"{len(fronts.records)} front(s) in the {fronts.schema} layout")
        # QGIS's file dialog has asked about replacing an existing file.
        result = export_fronts(fronts, fmt, output, glacier_map, overwrite=True)
        for note in fronts.notes + result.notes:
            feedback.pushWarning(note)
        feedback.pushInfo(f"{result.count} front(s) written to {output} ({fmt})")
        return {"OUTPUT": output, "COUNT": result.count}
