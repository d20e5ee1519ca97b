"""Synthetic test inputs: Landsat-like scenes of any size, and tiny ONNX models.

Used by the tests and by `scripts/bench.py`. Everything is generated, so nothing large is
stored in the repository.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

NODATA = 0
UTM_22N = 32622

# ONNX models of a few hundred bytes, built with onnx.helper (opset 13) and embedded so that
# the tests do not need the onnx package.
# WRONG_SHAPE: input (batch, 1, height, width): one channel instead of calfin's three.
WRONG_SHAPE_ONNX = base64.b64decode(
    "CAg6qAEKEwoFaW5wdXQKAXcSAXoiBENvbnYKEwoBehIFcHJvYnMiB1NpZ21vaWQSAWcqFwgCCAEIAQgBEAFCAXdKCAAAgD8AAIA/Wi8KBWlucHV0EiYKJAgBEiAKBxIFYmF0Y2gKAggBCggSBmhlaWdodAoHEgV3aWR0aGIvCgVwcm9icxImCiQIARIgCgcSBWJhdGNoCgIIAgoIEgZoZWlnaHQKBxIFd2lkdGhCBAoAEA0="
)
# STUB_EDGES: calfin contract metadata; edge = sigmoid(40 (|sobel x| + |sobel y| - 0.15)) of
# channel 0, mask = channel 0. Microseconds per tile: for memory and plumbing checks.
STUB_EDGES_ONNX = base64.b64decode(
    "CAg6+AYKJgoFaW5wdXQKAXcSAWMiBENvbnYqEQoEcGFkc0ABQAFAAUABoAEHChwKAWMKA3N0MAoDZW4wCgJheBICZ3giBVNsaWNlChwKAWMKA3N0MQoDZW4xCgJheBICZ3kiBVNsaWNlChsKAWMKA3N0MgoDZW4yCgJheBIBbSIFU2xpY2UKDgoCZ3gSA2F4XyIDQWJzCg4KAmd5EgNheV8iA0FicwoTCgNheF8KA2F5XxICZ20iA0FkZAoPCgJnbQoBdBIBZCIDU3ViCg4KAWQKAXMSAXoiA011bAoPCgF6EgFlIgdTaWdtb2lkCiIKAWUKAW0SBXByb2JzIgZDb25jYXQqCwoEYXhpcxgBoAECEgFnKtQCCAMIAwgDCAMQAUIBd0rEAgAAAL4AAAAAAAAAPgAAgL4AAAAAAACAPgAAAL4AAAAAAAAAPgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAL4AAIC+AAAAvgAAAAAAAAAAAAAAAAAAAD4AAIA+AAAAPgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACoNCAEQAUIBc0oEAAAgQioNCAEQAUIBdEoEmpkZPioTCAEQB0IDc3QwSggAAAAAAAAAACoTCAEQB0IDZW4wSggBAAAAAAAAACoTCAEQB0IDc3QxSggBAAAAAAAAACoTCAEQB0IDZW4xSggCAAAAAAAAACoTCAEQB0IDc3QySggCAAAAAAAAACoTCAEQB0IDZW4ySggDAAAAAAAAACoSCAEQB0ICYXhKCAEAAAAAAAAAWi8KBWlucHV0EiYKJAgBEiAKBxIFYmF0Y2gKAggDCggSBmhlaWdodAoHEgV3aWR0aGIvCgVwcm9icxImCiQIARIgCgcSBWJhdGNoCgIIAgoIEgZoZWlnaHQKBxIFd2lkdGhCBAoAEA1yGwoVY2FsZmluLmNhbm9uaWNhbF9mbG93EgJ1cHIbCg5jYWxmaW4ub3V0cHV0cxIJZWRnZSxtYXNrchoKFWNhbGZpbi5pbnB1dF9jaGFubmVscxIBM3IaChRjYWxmaW4uc2l6ZV9tdWx0aXBsZRICMTZyFwoQY2FsZmluLnRpbGVfc2l6ZRIDMjU2ch4KGWNhbGZpbi5wcmVwcm9jZXNzX3ZlcnNpb24SATFyFwoOY2FsZmluLnZlcnNpb24SBTAuMC4xchkKC2NhbGZpbi5uYW1lEgpzdHViX2VkZ2Vz"
)


def write_model(path: str | os.PathLike, data: bytes) -> Path:
    Path(path).write_bytes(data)
    return Path(path)


def front_row(cols: np.ndarray, height: int) -> np.ndarray:
    """Row of the synthetic calving front at each column: a gentle wave across the scene."""
    width = max(1, int(cols.max(initial=0)) + 1)
    return height * (0.5 + 0.06 * np.sin(2 * np.pi * cols / max(width, 2) * 1.5))


def scene_values(
    rows: np.ndarray, width: int, height: int, seed: int = 0, border: float = 0.06
) -> np.ndarray:
    """uint16 values of scene rows rows: bright ice above a wavy front, dark ocean below,
    smooth texture and sensor noise, and a Landsat-like tilted nodata (0) border."""
    rng = np.random.default_rng(seed)
    coarse = 64
    low = rng.normal(size=(height // coarse + 3, width // coarse + 3)).astype(np.float32)
    cols = np.arange(width, dtype=np.float32)
    r = rows[:, None].astype(np.float32)
    # bilinear upsampling of the coarse field (smooth texture, same for every strip)
    fr, fc = r / coarse, cols[None, :] / coarse
    r0, c0 = np.floor(fr).astype(int), np.floor(fc).astype(int)
    dr, dc = fr - r0, fc - c0
    texture = (
        low[r0, c0] * (1 - dr) * (1 - dc)
        + low[r0 + 1, c0] * dr * (1 - dc)
        + low[r0, c0 + 1] * (1 - dr) * dc
        + low[r0 + 1, c0 + 1] * dr * dc
    )
    ice = r < front_row(cols, height)[None, :]
    strip_rng = np.random.default_rng([seed, int(rows[0])])
    values = np.where(ice, 9000.0, 2500.0) + 700.0 * texture
    values += strip_rng.normal(0.0, 150.0, size=values.shape)
    # tilted valid footprint (a rotated rectangle), nodata outside
    tilt = 0.08
    left = border * width + tilt * r
    right = width - border * width - tilt * (height - r)
    top = border * height + tilt * (width - cols[None, :])
    bottom = height - border * height - tilt * cols[None, :]
    inside = (cols[None, :] >= left) & (cols[None, :] < right) & (r >= top) & (r < bottom)
    out = np.clip(values, 1, 65535).astype(np.uint16)
    out[~inside] = NODATA
    return out


def make_scene(
    path: str | os.PathLike,
    width: int,
    height: int,
    *,
    epsg: int | None = UTM_22N,
    pixel_size: float = 30.0,
    origin: tuple[float, float] = (500_000.0, 7_700_000.0),
    seed: int = 0,
    strip: int = 512,
    constant: int | None = None,
) -> Path:
    """Write a tiled uint16 GeoTIFF scene strip by strip (little memory even at 8,000²).

    epsg=None writes no CRS and no geotransform; constant writes that value everywhere
    (no nodata border, no front).
    """
    options = ["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "PREDICTOR=2", "BIGTIFF=IF_SAFER"]
    ds = gdal.GetDriverByName("GTiff").Create(str(path), width, height, 1, gdal.GDT_UInt16, options)
    if epsg is not None:
        ds.SetGeoTransform((origin[0], pixel_size, 0.0, origin[1], 0.0, -pixel_size))
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    if constant is None:
        band.SetNoDataValue(NODATA)
    for r in range(0, height, strip):
        rows = np.arange(r, min(height, r + strip))
        if constant is None:
            data = scene_values(rows, width, height, seed)
        else:
            data = np.full((len(rows), width), constant, dtype=np.uint16)
        band.WriteArray(data, 0, r)
    ds.FlushCache()
    ds = None
    return Path(path)


def make_nodata_scene(path: str | os.PathLike, width: int = 300, height: int = 300) -> Path:
    """A georeferenced scene whose every pixel is nodata."""
    make_scene(path, width, height, constant=NODATA)
    ds = gdal.Open(str(path), gdal.GA_Update)
    ds.GetRasterBand(1).SetNoDataValue(NODATA)
    ds = None
    return Path(path)


def leftovers(folder: str | os.PathLike) -> list[str]:
    """Temporary (.part) files the atomic writers may have left in folder."""
    return sorted(p.name for p in Path(folder).iterdir() if ".part" in p.name)
