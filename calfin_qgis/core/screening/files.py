"""Screening files with OGR (the CLI and the batch; the algorithm reads QGIS layers into
the same ``ScreenFront`` values): a screened copy of a fronts file, or the batch's own
output screened where it lies. A front database's layer (CALFIN, TermPicks, AutoTerm) is
read by ``core.databases`` and its copy keeps the database's fields, plus ``screen``."""

from __future__ import annotations

import os
from pathlib import Path

from osgeo import gdal, ogr
from shapely import wkb
from shapely.geometry import LineString

from ..databases.read import Fronts, fronts_from_rows, ogr_rows
from ..databases.schemas import database_schema
from ..errors import InputError
from ..geo import rasters, vectors
from ..terminus.inputs import Layer, check_front_fields, parse_date
from .series import Screened, ScreenFront, screen_fronts

ogr.UseExceptions()
gdal.UseExceptions()

SCREEN_FIELD = "screen"
FRONTS_LAYER = "fronts"


def _fronts_layer(ds):
    """The ``fronts`` layer (a batch output), else the file's first layer."""
    return ds.GetLayerByName(FRONTS_LAYER) or ds.GetLayer(0)


def database_fronts(fronts: Fronts) -> Layer:
    """A database layer's fronts (``core.databases``: CALFIN, TermPicks, AutoTerm) as a Layer
    of ``ScreenFront``, in the layer's order."""
    items = [
        ScreenFront(
            glacier_id=r["glacier_id"],
            date=r["date"],
            image_id=r["image_id"],
            geometry=r["geometry"],
            sensor=r["sensor"],
            uncertainty_m=r["uncertainty_m"],
            status=r["status"],
            screen=r["screen"],
        )
        for r in fronts.records
    ]
    return Layer(items, fronts.crs_wkt, fronts.name)


def read_layer(layer, name: str, glacier_field: str) -> tuple[Layer, list[int], list[str]]:
    """An OGR layer's fronts as a Layer of ``ScreenFront``, their feature ids and what the
    reading has to say: ours by our fields, a database's by its own (``core.databases``)."""
    names = [field.GetName() for field in layer.schema]
    if database_schema(names):
        srs = layer.GetSpatialRef()
        crs = srs.ExportToWkt() if srs else ""
        rows = ogr_rows(layer, names)
        fronts = fronts_from_rows(names, rows, crs, name, glacier_field=glacier_field)
        fids = [feature.GetFID() for feature in layer]
        return database_fronts(fronts), fids, fronts.notes
    check_front_fields(names, glacier_field, name)

    def get(feature, field):
        if field not in names or not feature.IsFieldSetAndNotNull(field):
            return None
        return feature.GetField(field)

    fronts, fids = [], []
    layer.ResetReading()
    for feature in layer:
        geometry = feature.GetGeometryRef()
        uncertainty, confidence = get(feature, "uncertainty_m"), get(feature, "confidence")
        fronts.append(
            ScreenFront(
                glacier_id=str(get(feature, glacier_field) or ""),
                date=parse_date(get(feature, "date")),
                image_id=str(get(feature, "image_id") or ""),
                geometry=wkb.loads(bytes(geometry.ExportToWkb())) if geometry else LineString(),
                sensor=str(get(feature, "sensor") or ""),
                uncertainty_m=None if uncertainty is None else float(uncertainty),
                confidence=None if confidence is None else float(confidence),
                status=str(get(feature, "status") or ""),
                screen=str(get(feature, SCREEN_FIELD) or ""),
            )
        )
        fids.append(feature.GetFID())
    srs = layer.GetSpatialRef()
    return Layer(fronts, srs.ExportToWkt() if srs else "", name), fids, []


def write_screens(ds, layer, fids: list[int], screened: Screened) -> None:
    """The ``screen`` values into the layer (the field added where it lacks), in one
    transaction."""
    if layer.FindFieldIndex(SCREEN_FIELD, 1) < 0:
        layer.CreateField(ogr.FieldDefn(SCREEN_FIELD, ogr.OFTString))
    transaction = bool(ds.TestCapability(ogr.ODsCTransactions))
    if transaction:
        ds.StartTransaction()
    try:
        for fid, value in zip(fids, screened.screens, strict=True):
            feature = layer.GetFeature(fid)
            feature.SetField(SCREEN_FIELD, value)
            layer.SetFeature(feature)
    except BaseException:
        if transaction:
            ds.RollbackTransaction()
        raise
    if transaction:
        ds.CommitTransaction()


def screen_file(
    path: str | os.PathLike,
    output: str | os.PathLike,
    boxes: Layer | None = None,
    centrelines: Layer | None = None,
    areas: Layer | None = None,
    glacier_field: str = "glacier_id",
    overwrite: bool = False,
) -> Screened:
    """A copy of the fronts file at ``output`` with a ``screen`` field; the input is only
    read. The copy reaches its name once complete."""
    vectors.check_vector_name(output)
    if rasters.same_file(path, output):
        raise InputError(
            f"{output} is the fronts file: screening never writes into its input. Choose "
            "another output file."
        )
    rasters.check_destination(output, overwrite)
    source = vectors.open_vector(path, "fronts")
    layer = _fronts_layer(source)
    fronts, _, notes = read_layer(layer, Path(path).name, glacier_field)
    screened = screen_fronts(fronts, boxes, centrelines, areas)
    screened.notes[:0] = notes
    with rasters.atomic_output(output, overwrite) as tmp:
        driver = vectors.driver_name(output)
        gdal.VectorTranslate(tmp, str(path), format=driver, layers=[layer.GetName()])
        ds = ogr.Open(tmp, 1)
        copy = ds.GetLayer(0)
        write_screens(ds, copy, [f.GetFID() for f in copy], screened)
        ds = None
    return screened


def screen_in_place(
    path: str | os.PathLike, areas: Layer | None = None, glacier_field: str = "glacier_id"
) -> Screened:
    """Screen a batch output's fronts where they lie (the batch's own file, its last step)."""
    ds = vectors.open_vector(path, "fronts", update=True)
    layer = _fronts_layer(ds)
    fronts, fids, notes = read_layer(layer, Path(path).name, glacier_field)
    if not fronts.items:
        return Screened([], ["No fronts to screen."])
    screened = screen_fronts(fronts, areas=areas)
    screened.notes[:0] = notes
    write_screens(ds, layer, fids, screened)
    ds = None
    return screened
