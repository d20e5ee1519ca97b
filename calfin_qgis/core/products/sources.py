"""Satellite products as users download them, opened without unpacking.

Landsat Collection 1 and 2 Level-1 products (Landsat 1-9: MSS, TM, ETM+, OLI/OLI-2) as the
``.tar`` (``.tar.gz``) file, read through GDAL's ``/vsitar/``, as the extracted folder, or
as its ``*_MTL.txt`` / ``*_MTL.xml``; Sentinel-2 L1C/L2A as the ``.SAFE`` folder or its
``.zip`` (``/vsizip/`` on the band's .jp2). The band comes from ``bands.BANDS``; the product
id, date, sensor, path/row or tile and cloud cover from the metadata file, so that nothing
depends on file-name guessing when the product has one. A plain raster keeps the file-name
behaviour of :mod:`naming`.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from osgeo import gdal

from ..errors import InputError
from ..geo import rasters
from . import bands
from .metadata_files import (
    MTL_NAME,
    S2_MTD_NAME,
    ProductFiles,
    SceneMetadata,
    exists,
    is_dir,
    join,
    mtl_in,
    mtl_order,
    name_metadata,
    read_landsat,
    read_sentinel2,
    safe_mtd,
    zip_safe,
)
from .scene_identity import identity_from_tags, identity_tags

__all__ = [
    "SceneMetadata",
    "SceneProduct",
    "SceneSource",
    "find_sources",
    "identify",
    "name_metadata",
    "open_band",
    "open_source",
    "scene_metadata",
]

gdal.UseExceptions()

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2", ".png", ".jpg", ".jpeg")
"""Plain rasters: those the batch (``find_sources``) picks up besides products, and those the
review dock looks for in its scenes folder."""
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
_S2_ZIP = re.compile(r"^S2[A-D]_MSIL(1C|2A)_.*\.zip$", re.IGNORECASE)
_LANDSAT_ID = re.compile(r"^(L[COTEM]0\d_L[0-9A-Z]{3}_\d{6}_\d{8}_\d{8}_\d{2}_[A-Z0-9]{2})_")


@dataclass(frozen=True)
class SceneProduct:
    """What a source is, from its metadata alone (no pixel read): enough to filter on."""

    given: str
    """What the user gave: a tar, folder, MTL file, .SAFE, .zip or plain raster."""
    kind: str
    """``_kind(given)``: tar, zip, safe, folder, mtl, mtd or raster."""
    name: str
    """A raster's file name (calfin's own rasters: their scene's); a product's own (its band
    file's is the scene's name once ``open_band`` has chosen it)."""
    metadata: SceneMetadata
    files: dict[int, str]
    """A product's band files by band number (GDAL paths); empty for a plain raster."""


@dataclass(frozen=True)
class SceneSource:
    """A scene resolved once (``open_source``): its band opened, its product id, date,
    sensor, path/row and cloud cover read. Plain values only, so it travels with a job to
    any worker, which then reads neither metadata nor tags again."""

    scene: rasters.Scene
    """The band to process (its path may be ``/vsitar/...``, ``/vsizip/...``)."""
    metadata: SceneMetadata
    name: str
    """The original scene's file name, for messages and for the outputs' tags."""
    given: str
    """What the user gave: a tar, folder, MTL file, .SAFE, .zip or plain raster."""
    note: str = ""
    """Which band was chosen and why, for the log."""

    @property
    def path(self) -> str:
        """GDAL path of the raster holding the band."""
        return self.scene.path

    @property
    def band(self) -> int:
        """1-based band in that raster."""
        return self.scene.band

    @property
    def tags(self) -> dict[str, str]:
        """The raster metadata items by which calfin's outputs remember this scene."""
        return identity_tags(self.name, self.metadata)


def _archive_root(path: str, prefix: str) -> str:
    """The GDAL path of an archive's inside (``/vsitar//data/x.tar``)."""
    return path if path.startswith("/vsi") else f"{prefix}{os.path.abspath(path)}"


def _kind(path: str) -> str:
    """What ``path`` is: tar, zip, safe, folder, mtl, mtd (a Sentinel-2 MTD file) or raster."""
    name = PurePosixPath(path.rstrip("/").replace("\\", "/")).name
    lower = name.lower()
    if lower.endswith(TAR_SUFFIXES):
        return "tar"
    if lower.endswith(".zip"):
        return "zip"
    if is_dir(path):
        return "safe" if lower.endswith(".safe") or _holds_s2_metadata(path) else "folder"
    if MTL_NAME.match(name):
        return "mtl"
    if S2_MTD_NAME.match(name):
        return "mtd"
    return "raster"


def _holds_s2_metadata(folder: str) -> bool:
    return any(S2_MTD_NAME.match(n) for n in gdal.ReadDir(folder) or [])


def _product(path: str, kind: str) -> ProductFiles:
    """The metadata and band files of the product ``path`` (of kind ``_kind(path)``)."""
    if not exists(path):
        raise InputError(f"Scene not found: {path}. Check the path or pick another file.")
    if kind == "tar":
        root = _archive_root(path, "/vsitar/")
        try:
            members = gdal.ReadDirRecursive(root) or []
        except RuntimeError:
            members = []
        mtl = mtl_in(root, members, path, archive=True)
        return read_landsat(posixpath.dirname(mtl), mtl)
    if kind == "zip":
        safe = zip_safe(_archive_root(path, "/vsizip/"), path)
        return read_sentinel2(safe, safe_mtd(safe, path))
    if kind == "safe":
        return read_sentinel2(path, safe_mtd(path, path))
    if kind == "mtd":
        return read_sentinel2(posixpath.dirname(path), path)
    folder = path if kind == "folder" else os.path.dirname(path) or "."
    mtl = path if kind == "mtl" else mtl_in(path, gdal.ReadDir(path) or [], path)
    return read_landsat(folder, mtl)


def _enclosing_product(path: str) -> SceneMetadata | None:
    """The metadata of the product a band file belongs to (its MTL beside it, or the .SAFE
    above it), or None."""
    path = path.replace("\\", "/")
    folder, name = posixpath.split(path)
    try:
        if match := _LANDSAT_ID.match(name):
            for suffix in ("_MTL.txt", "_MTL.xml"):
                mtl = join(folder, f"{match[1]}{suffix}")
                if exists(mtl):
                    return read_landsat(folder, mtl).metadata
        while folder not in ("", "/") and folder != posixpath.dirname(folder):
            if folder.upper().endswith(".SAFE"):
                return read_sentinel2(folder, safe_mtd(folder, path)).metadata
            folder = posixpath.dirname(folder)
    except InputError:
        pass  # a damaged metadata file: the file name still says something
    return None


def _raster_identity(path: str) -> tuple[str, SceneMetadata]:
    """A plain raster's scene: the one calfin's own rasters record in their tags, else its
    product's metadata file when it lies in one, else what its file name says."""
    try:
        recorded = identity_from_tags(rasters.read_metadata(path))
    except RuntimeError:  # not readable: open_source says why
        recorded = None
    name = PurePosixPath(path.replace("\\", "/")).name
    return recorded or (name, _enclosing_product(path) or name_metadata(path))


def identify(path: str) -> SceneProduct:
    """What ``path`` is and its metadata, from its metadata file or tags (no pixel read)."""
    path = str(path)
    kind = _kind(path)
    if kind == "raster":
        name, metadata = _raster_identity(path)
        return SceneProduct(path, kind, name, metadata, {})
    product = _product(path, kind)
    name = PurePosixPath(path.rstrip("/")).name
    return SceneProduct(path, kind, name, product.metadata, product.files)


def scene_metadata(path: str) -> SceneMetadata:
    """The metadata of any source (``identify``)."""
    return identify(path).metadata


def _check_readable(file: str, given: str) -> None:
    """Open the band file and read its last row: a download cut short fails here, clearly."""
    try:
        ds = gdal.Open(file)
        band = ds.GetRasterBand(1)
        band.ReadRaster(0, ds.RasterYSize - 1, ds.RasterXSize, 1)
    except RuntimeError as err:
        raise InputError(
            f"Cannot read {PurePosixPath(file).name} in {given} ({err}): the product is damaged "
            "or incomplete. Download it again."
        ) from err


def open_source(path: str, band: int | None = None) -> SceneSource:
    """The raster and band to process for a plain raster or a product (``open_band``)."""
    return open_band(identify(path), band)


def open_band(product: SceneProduct, band: int | None = None) -> SceneSource:
    """Open the band to process of an identified source; no metadata is read again.

    ``band`` None: a product's band comes from ``bands.BANDS`` for its sensor, a plain
    raster's is 1. A given band overrides it; for a product it is the sensor's band number
    (8 → the ``_B8`` file).
    """
    path, meta = product.given, product.metadata
    if product.kind == "raster":
        chosen = 1 if band is None else band  # band 0 gets open_scene's error
        scene = rasters.open_scene(path, chosen)
        how = (
            "as given" if band is not None else "a single raster: band 1 unless BAND / --band says"
        )
        return SceneSource(scene, meta, product.name, path, f"band {chosen} ({how})")
    choice = bands.band_choice(meta.sensor)
    if band is None and choice is None:
        raise InputError(
            f"No band is known for the sensor '{meta.sensor or 'unknown'}' of {meta.image_id}. "
            "Give the band number (BAND, --band)."
        )
    number = band or choice.band
    note = (
        f"{meta.sensor} band {number}, as given"
        if band
        else f"{meta.sensor} band {number} ({choice.label}): {choice.why}"
    )
    file = product.files.get(number)
    if file is None:
        raise InputError(
            f"{meta.image_id} has no band {number} (it has {sorted(product.files)}). "
            "Choose one of those."
        )
    if not exists(file):
        raise InputError(
            f"{PurePosixPath(file).name}, band {number} of {meta.image_id}, is missing from "
            f"{path}. Download or extract the product again."
        )
    _check_readable(file, path)
    scene = rasters.open_scene(file, 1)
    return SceneSource(scene, meta, PurePosixPath(file).name, path, note)


def find_sources(folder: str) -> Iterator[str]:
    """Every product and plain raster under ``folder``, each product once, sorted.

    A tar, a ``.SAFE`` folder or a Sentinel-2 zip (named ``S2?_MSIL1C_...``/``MSIL2A``:
    other zips are left alone) is one source; an extracted Landsat product is its MTL
    file (the band files beside it are not listed); hidden files and folders are skipped.
    """
    if not os.path.isdir(folder):
        raise InputError(f"{folder} is not a folder. Give the folder that holds the scenes.")
    found: list[str] = []
    seen: set[str] = set()  # folders walked, by real path: a link loop is walked once
    for root, dirs, files in os.walk(folder, followlinks=True):
        if os.path.realpath(root) in seen:
            dirs[:] = []
            continue
        seen.add(os.path.realpath(root))
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for safe in [d for d in dirs if d.upper().endswith(".SAFE")]:
            found.append(os.path.join(root, safe))
            dirs.remove(safe)
        mtls = sorted((f for f in files if MTL_NAME.match(f)), key=mtl_order)
        products = {}
        for mtl in mtls:
            products.setdefault(MTL_NAME.match(mtl)[1], mtl)
        found += [os.path.join(root, mtl) for mtl in products.values()]
        for name in files:
            lower = name.lower()
            if name.startswith(".") or any(name.startswith(f"{p}_") for p in products):
                continue
            if lower.endswith(TAR_SUFFIXES + RASTER_SUFFIXES) or _S2_ZIP.match(name):
                found.append(os.path.join(root, name))
    yield from sorted(found)


def scene_files(folder: str | os.PathLike) -> dict[str, str]:
    """Scene id (``naming.scene_id``) -> the file to open, for the plain rasters and the
    products under ``folder`` (a band file inside its product answers to the product's id;
    incomplete products are skipped): how the review dock, evaluate_fronts' report and
    fine-tuning find the scene of an image_id."""
    from .naming import scene_id

    found: dict[str, str] = {}
    if not os.path.isdir(folder):
        return found
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix.lower() in RASTER_SUFFIXES:
            found.setdefault(scene_id(path.name), str(path))
    for source in find_sources(str(folder)):
        if source.lower().endswith((*TAR_SUFFIXES, ".zip", *RASTER_SUFFIXES)):
            continue
        try:
            scene = open_source(source)
        except InputError:
            continue  # an incomplete product: its fronts show without a scene
        found[scene.metadata.image_id] = scene.path
    return found
