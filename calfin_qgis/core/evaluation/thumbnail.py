"""A grey thumbnail of a scene window, as a PNG data URI for the evaluation report.

The window is given in the fronts' CRS (the reference layer's); GDAL warps the scene into
it, so a scene in another CRS still lies under its lines. A scene without georeference
is put on the pixel grid the pipeline gives such images (x = column, y = -row).
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import numpy as np
from osgeo import gdal

from ..errors import InputError
from ..geo import rasters


def _png_uri(grey: np.ndarray, alpha: np.ndarray) -> str:
    name = f"/vsimem/calfin_thumbnail_{uuid.uuid4().hex}.png"
    mem = gdal.GetDriverByName("MEM").Create("", grey.shape[1], grey.shape[0], 2, gdal.GDT_Byte)
    mem.GetRasterBand(1).WriteArray(grey)
    mem.GetRasterBand(2).WriteArray(alpha)
    gdal.GetDriverByName("PNG").CreateCopy(name, mem)
    try:
        handle = gdal.VSIFOpenL(name, "rb")
        data = gdal.VSIFReadL(1, gdal.VSIStatL(name).size, handle)
        gdal.VSIFCloseL(handle)
    finally:
        gdal.Unlink(name)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def thumbnail(
    path: str | Path,
    bounds: tuple[float, float, float, float],
    crs_wkt: str,
    size: int = 260,
    band: int = 1,
) -> str | None:
    """Band ``band`` of the scene over ``bounds`` (minx, miny, maxx, maxy in ``crs_wkt``, ''
    for pixel coordinates), stretched to grey between its 2nd and 98th percentile; None when
    the scene cannot be read or does not cover the window."""
    try:
        scene = rasters.open_scene(path, band)
        source = gdal.Translate(
            "",
            str(path),
            format="VRT",
            bandList=[band],
            outputBounds=None if scene.georeferenced else [0, 0, scene.width, -scene.height],
        )
        warped = gdal.Warp(
            "",
            source,
            format="MEM",
            outputBounds=bounds,
            width=size,
            height=size,
            dstSRS=crs_wkt if crs_wkt and scene.crs_wkt else None,
            outputType=gdal.GDT_Float32,
            dstNodata=float("nan"),
            resampleAlg="average",
        )
        values = warped.GetRasterBand(1).ReadAsArray()
    except (RuntimeError, InputError):
        return None
    valid = np.isfinite(values)
    if scene.nodata is not None:
        valid &= values != scene.nodata
    if valid.mean() < 0.05:
        return None
    low, high = np.percentile(values[valid], (2, 98))
    grey = np.clip((values - low) / max(high - low, 1e-9) * 255, 0, 255)
    grey = np.where(valid, grey, 0).astype(np.uint8)
    return _png_uri(grey, np.where(valid, 255, 0).astype(np.uint8))
