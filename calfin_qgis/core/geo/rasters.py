"""Reading scene bands and writing rasters with GDAL; outputs staged atomically (search
polygons: ``polygons``; front layers: ``vectors``).

The CRS (as WKT) and geotransform travel explicitly from reading to writing. Every
writer writes to a temporary file beside the target and renames it at the end, so that
a failure or a cancel never leaves a half-written output behind, and an existing file is
only replaced when the caller says so.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from .. import contract
from ..errors import InputError

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

GeoTransform = tuple[float, float, float, float, float, float]
PIXEL_GEOTRANSFORM: GeoTransform = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
"""Used for images without georeferencing: x = column, y = -row (QGIS shows them upright)."""


@dataclass(frozen=True)
class Window:
    col_off: int
    row_off: int
    width: int
    height: int

    def geotransform(self, gt: GeoTransform) -> GeoTransform:
        x = gt[0] + self.col_off * gt[1] + self.row_off * gt[2]
        y = gt[3] + self.col_off * gt[4] + self.row_off * gt[5]
        return (x, gt[1], gt[2], y, gt[4], gt[5])

    @property
    def slices(self) -> tuple[slice, slice]:
        return (
            slice(self.row_off, self.row_off + self.height),
            slice(self.col_off, self.col_off + self.width),
        )


@contextlib.contextmanager
def _reading(path: str) -> Iterator[None]:
    """GDAL's read errors (a truncated or damaged file) as an InputError naming the fix."""
    try:
        yield
    except RuntimeError as err:
        raise InputError(
            f"Cannot read the pixels of {Path(path).name}: the file is damaged or incomplete "
            f"({err}). Download or export it again."
        ) from err


@dataclass(frozen=True)
class Scene:
    """An open single band of a raster, with everything needed to georeference results."""

    path: str
    band: int
    width: int
    height: int
    geotransform: GeoTransform
    crs_wkt: str
    nodata: float | None
    georeferenced: bool
    preprocessed: bool = False
    """The raster is calfin:preprocess output: its three bands are the model's input."""

    @property
    def full_window(self) -> Window:
        return Window(0, 0, self.width, self.height)

    @property
    def pixel_edges(self) -> tuple[float, float]:
        """(width, height) of a pixel in map units, also on rotated grids."""
        gt = self.geotransform
        return float(np.hypot(gt[1], gt[4])), float(np.hypot(gt[2], gt[5]))

    @property
    def pixel_size(self) -> float:
        """Mean pixel edge in map units (1.0 for images without georeferencing)."""
        return sum(self.pixel_edges) / 2

    @property
    def units_are_metres(self) -> bool:
        if not self.crs_wkt:
            return False
        srs = osr.SpatialReference(wkt=self.crs_wkt)
        return bool(srs.IsProjected()) and abs(srs.GetLinearUnits() - 1.0) < 1e-9

    def _valid(self, values: np.ndarray) -> np.ndarray:
        """False on the band's nodata value and on NaN."""
        valid = np.ones(values.shape, dtype=bool)
        if self.nodata is not None:
            valid &= values != self.nodata
        if values.dtype.kind == "f":
            valid &= np.isfinite(values)
        return valid

    def read(self, window: Window | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (values, valid) of ``window``; valid is False on nodata and NaN."""
        window = window or self.full_window
        ds = gdal.Open(self.path)  # kept: a band outliving its dataset crashes GDAL
        with _reading(self.path):
            values = ds.GetRasterBand(self.band).ReadAsArray(
                window.col_off, window.row_off, window.width, window.height
            )
        return values, self._valid(values)

    def read_input(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """(3, h, w) model input of a preprocessed raster; nodata there is 0 in every band."""
        ds = gdal.Open(self.path)
        with _reading(self.path):
            x = ds.ReadAsArray(window.col_off, window.row_off, window.width, window.height)
        x = np.asarray(x, dtype=np.float32)
        return x, x.any(axis=0)

    def read_overview(self, max_pixels: int = 4_000_000) -> tuple[np.ndarray, np.ndarray]:
        """A decimated read of the whole band, for scene-wide statistics in little memory."""
        step = max(1, int(np.ceil(np.sqrt(self.width * self.height / max_pixels))))
        ds = gdal.Open(self.path)
        with _reading(self.path):
            values = ds.GetRasterBand(self.band).ReadAsArray(
                0,
                0,
                self.width,
                self.height,
                buf_xsize=max(1, self.width // step),
                buf_ysize=max(1, self.height // step),
                resample_alg=gdal.GRIORA_NearestNeighbour,
            )
        return values, self._valid(values)


def pixel_text(scene: Scene) -> str:
    """The pixel size for messages: "15 m", or "40 x 10 m" for non-square pixels."""
    width, height = scene.pixel_edges
    unit = " m" if scene.units_are_metres else ""
    if abs(width - height) <= 1e-9 * max(width, height):
        return f"{width:g}{unit}"
    return f"{width:g} x {height:g}{unit}"


def georeference_warning(scene: Scene) -> str | None:
    """What the user should know when the outputs cannot carry a real CRS, or None."""
    if not scene.georeferenced:
        return "The scene has no georeference: the outputs are in pixel units."
    if not scene.crs_wkt:
        return (
            "The scene has a grid but no CRS, so the outputs have none either. Assign the "
            "scene's CRS (gdal_edit.py -a_srs EPSG:<code>, or Layer Properties > Source) "
            "and run again."
        )
    return None


def open_scene(path: str | os.PathLike, band: int = 1) -> Scene:
    """Open ``band`` (1-based) of a raster; errors name the problem and the fix."""
    path = str(path)
    if not Path(path).exists() and not path.startswith("/vsi"):
        raise InputError(f"Scene file not found: {path}. Check the path or pick another file.")
    try:
        ds = gdal.Open(path)
    except RuntimeError as err:
        raise InputError(
            f"Cannot read {path} as a raster ({err}). Choose a GeoTIFF or another "
            "GDAL-readable image."
        ) from err
    if ds is None or ds.RasterCount == 0:
        raise InputError(f"{path} holds no raster band. Choose a raster scene (GeoTIFF, PNG...).")
    if not 1 <= band <= ds.RasterCount:
        raise InputError(
            f"Band {band} does not exist in {Path(path).name}, which has {ds.RasterCount} "
            f"band(s). Choose a band between 1 and {ds.RasterCount}."
        )
    gt = ds.GetGeoTransform(can_return_null=True)
    crs_wkt = ds.GetProjection() or ""
    version = ds.GetMetadataItem(contract.PREPROCESSED_KEY)
    if version is not None and version != contract.PREPROCESS_VERSION:
        raise InputError(
            f"{Path(path).name} was preprocessed by another version ({version}) of calfin. "
            "Run calfin:preprocess again on the scene, or give the scene itself."
        )
    georeferenced = gt is not None and gt != (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    return Scene(
        path=path,
        band=band,
        width=ds.RasterXSize,
        height=ds.RasterYSize,
        geotransform=tuple(gt) if georeferenced else PIXEL_GEOTRANSFORM,
        crs_wkt=crs_wkt if georeferenced else "",
        nodata=ds.GetRasterBand(band).GetNoDataValue(),
        georeferenced=georeferenced,
        preprocessed=version is not None and ds.RasterCount == contract.INPUT_CHANNELS,
    )


def resampled(scene: Scene, pixel_size: float) -> Scene:
    """``scene``'s band averaged onto a grid of ``pixel_size`` map units, read lazily.

    For grids without rotation, north-up or south-up (``model_grid`` passes no other); the
    grid keeps the scene's corner.

    A virtual raster (VRT in GDAL's memory file system) over the original file: blocks are
    resampled as they are read, so a large scene is never held whole.
    """
    key = f"{scene.path}|{scene.band}|{pixel_size}"
    path = f"/vsimem/calfin_resampled/{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}.vrt"
    x0, dx, _, y0, _, dy = scene.geotransform
    # Whole output pixels inside the scene: a part-covered last row would read as dark.
    cols = int(scene.width * abs(dx) // pixel_size)
    rows = int(scene.height * abs(dy) // pixel_size)
    if cols < 1 or rows < 1:
        raise InputError(
            f"{Path(scene.path).name} covers less than one {pixel_size:g} m model pixel. Choose "
            "a larger scene, or keep its resolution (RESAMPLE off, --keep-resolution)."
        )
    # A source window in (fractional) pixels keeps the corner and works for south-up grids.
    source = [0, 0, cols * pixel_size / abs(dx), rows * pixel_size / abs(dy)]
    ds = gdal.Translate(
        path,
        scene.path,
        format="VRT",
        bandList=[scene.band],
        srcWin=source,
        width=cols,
        height=rows,
        resampleAlg="average",
    )
    # Exactly the model's pixel size (the fractional window leaves a 1e-14 rounding).
    ds.SetGeoTransform((x0, np.sign(dx) * pixel_size, 0.0, y0, 0.0, np.sign(dy) * pixel_size))
    ds = None  # written to the memory file on close
    return open_scene(path, 1)


GEOTIFF_SUFFIXES = (".tif", ".tiff")


def check_geotiff_name(path: str | os.PathLike) -> None:
    """Rasters are written with GDAL's GTiff driver: a .png or .vrt name would lie."""
    if Path(path).suffix.lower() not in GEOTIFF_SUFFIXES:
        raise InputError(
            f"{Path(path).name}: calfin writes rasters as GeoTIFF. Name the file with .tif."
        )


def check_destination(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse outputs that would clobber a file or land in a folder that cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"Output {target} is a folder. Give a file name, inside it for example.")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Output folder {folder} does not exist. Create it or pick another path.")
    if not os.access(folder, os.W_OK):
        raise InputError(f"Output folder {folder} is not writable. Pick a folder you can write to.")
    if target.exists() and not overwrite:
        raise InputError(
            f"Output {target} already exists. Choose another name, or ask for it to be "
            "overwritten (--overwrite)."
        )
    return target


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it into place only on success."""
    target = check_destination(path, overwrite)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.part{target.suffix}")
    try:
        yield str(tmp)
        # The replaced file's statistics (GDAL's .aux.xml) would describe the old data.
        Path(f"{target}.aux.xml").unlink(missing_ok=True)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}.aux.xml")):
            leftover.unlink(missing_ok=True)


def optional_output(path: str | None, overwrite: bool = False):
    """``atomic_output(path)`` for an optional output; yields None when there is no path.

    Used to hold one output back until another is written: the staged file reaches its
    name only when the ``with`` block ends without error.
    """
    return atomic_output(path, overwrite) if path else contextlib.nullcontext()


class RasterWriter:
    """A GeoTIFF written block by block (tiled, DEFLATE), so that no scene-size array is needed."""

    def __init__(
        self,
        path: str,
        width: int,
        height: int,
        bands: Sequence[str],
        geotransform: GeoTransform,
        crs_wkt: str,
        dtype: int = gdal.GDT_Float32,
        nodata: float | None = None,
    ) -> None:
        options = ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]
        if dtype == gdal.GDT_Float32:
            options.append("PREDICTOR=3")
        driver = gdal.GetDriverByName("GTiff")
        self.ds = driver.Create(path, width, height, len(bands), dtype, options)
        self.ds.SetGeoTransform(geotransform)
        if crs_wkt:
            self.ds.SetProjection(crs_wkt)
        for i, name in enumerate(bands, start=1):
            band = self.ds.GetRasterBand(i)
            band.SetDescription(name)
            if nodata is not None:
                band.SetNoDataValue(nodata)

    def write(self, window: Window, data: np.ndarray) -> None:
        """Write (bands, h, w) ``data`` at ``window``."""
        for i in range(data.shape[0]):
            self.ds.GetRasterBand(i + 1).WriteArray(data[i], window.col_off, window.row_off)

    def close(self) -> None:
        if self.ds is not None:
            self.ds.FlushCache()
            self.ds = None


def write_raster(
    path: str | os.PathLike,
    data: np.ndarray,
    geotransform: GeoTransform,
    crs_wkt: str,
    band_names: Sequence[str],
    nodata: float | None = None,
    overwrite: bool = False,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write a (bands, H, W) float array as a GeoTIFF, atomically, with dataset metadata."""
    with atomic_output(path, overwrite) as tmp:
        writer = RasterWriter(
            tmp, data.shape[2], data.shape[1], band_names, geotransform, crs_wkt, nodata=nodata
        )
        if metadata:
            writer.ds.SetMetadata(metadata)
        writer.write(Window(0, 0, data.shape[2], data.shape[1]), data)
        writer.close()


def band_description(scene: Scene) -> str:
    """The band's description (calfin's probability rasters name theirs ``edge``, ``mask``)."""
    ds = gdal.Open(scene.path)
    return ds.GetRasterBand(scene.band).GetDescription()


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The dataset-level metadata of a raster (e.g. the scene a probability raster came from)."""
    ds = gdal.Open(str(path))
    return dict(ds.GetMetadata() or {})


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same existing file (links and ``..`` resolved)."""
    try:
        return Path(a).exists() and Path(b).exists() and Path(a).samefile(b)
    except OSError:
        return False
