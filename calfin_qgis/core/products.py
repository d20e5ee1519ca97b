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

import datetime
import json
import os
import posixpath
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from osgeo import gdal

from . import bands, io, naming
from .errors import InputError

gdal.UseExceptions()

RASTER_SUFFIXES = (".tif", ".tiff", ".png", ".jp2", ".jpg", ".jpeg")
"""Plain rasters ``find_sources`` picks up besides products."""
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
_MTL = re.compile(r"^(.+)_MTL\.(txt|xml)$", re.IGNORECASE)
_S2_MTD = re.compile(r"^MTD_MSIL(1C|2A)\.xml$", re.IGNORECASE)
_S2_ZIP = re.compile(r"^S2[A-D]_MSIL(1C|2A)_.*\.zip$", re.IGNORECASE)
_LANDSAT_ID = re.compile(r"^(L[COTEM]0\d_L[0-9A-Z]{3}_\d{6}_\d{8}_\d{8}_\d{2}_[A-Z0-9]{2})_")
_S2_BAND_FILE = re.compile(r"_B(\d{2})(?:_(\d{2})m)?$")

_MTL_GROUPS = {
    "LANDSAT_PRODUCT_ID": ("PRODUCT_CONTENTS", "METADATA_FILE_INFO"),
    "FILE_NAME_BAND": ("PRODUCT_CONTENTS", "PRODUCT_METADATA"),
    "SPACECRAFT_ID": ("IMAGE_ATTRIBUTES", "PRODUCT_METADATA"),
    "SENSOR_ID": ("IMAGE_ATTRIBUTES", "PRODUCT_METADATA"),
    "WRS_PATH": ("IMAGE_ATTRIBUTES", "PRODUCT_METADATA"),
    "WRS_ROW": ("IMAGE_ATTRIBUTES", "PRODUCT_METADATA"),
    "DATE_ACQUIRED": ("IMAGE_ATTRIBUTES", "PRODUCT_METADATA"),
    "CLOUD_COVER": ("IMAGE_ATTRIBUTES", "IMAGE_ATTRIBUTES"),
}
"""The MTL group of each key: (Collection 2 ``LANDSAT_METADATA_FILE``, Collection 1
``L1_METADATA_FILE``)."""
_COLLECTIONS = {"LANDSAT_METADATA_FILE": 0, "L1_METADATA_FILE": 1}
_SENSOR_LETTERS = {"OLI_TIRS": "C", "OLI": "O", "TIRS": "T", "ETM": "E", "TM": "T", "MSS": "M"}


@dataclass(frozen=True)
class SceneMetadata:
    image_id: str
    """The product id (``LC08_L1TP_...``) when metadata exists, else ``naming.scene_id``."""
    date: datetime.date | None
    sensor: str
    """``LC08``, ``LE07``, ``LT05``, ``LM05``, ``S2A``...; ``""`` unknown."""
    path_row: str
    """WRS path and row (``008011``) or MGRS tile (``T22WEV``); ``""`` unknown."""
    cloud_cover: float | None
    """Scene cloud cover in percent."""

    @property
    def summary(self) -> str:
        """One line for the log: what the scene is."""
        cloud = "" if self.cloud_cover is None else f", cloud cover {self.cloud_cover:g} %"
        where = " ".join(filter(None, (self.sensor, self.path_row)))
        return f"Scene {self.image_id} ({self.date or 'date unknown'}{cloud}) {where}".strip()

    def to_json(self) -> str:
        """As a raster metadata item, so that calfin's own outputs remember their scene."""
        date = self.date.isoformat() if self.date else None
        return json.dumps({**self.__dict__, "date": date}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SceneMetadata:
        item = json.loads(text)
        return cls(**{**item, "date": _iso_date(item["date"] or "")})


@dataclass(frozen=True)
class SceneSource:
    path: str
    """GDAL path of the raster holding the band (may be ``/vsitar/...``, ``/vsizip/...``)."""
    band: int
    """1-based band in that raster."""
    metadata: SceneMetadata
    given: str
    """What the user gave: a tar, folder, MTL file, .SAFE, .zip or plain raster."""
    note: str = ""
    """Which band was chosen and why, for the log."""


@dataclass(frozen=True)
class _Product:
    metadata: SceneMetadata
    files: dict[int, str]
    """Band number → GDAL path of its file."""


def _is_dir(path: str) -> bool:
    found = gdal.VSIStatL(path)
    return found is not None and stat.S_ISDIR(found.mode)


def _exists(path: str) -> bool:
    return gdal.VSIStatL(path) is not None


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}"


def _read_text(path: str) -> str:
    """A metadata file's text, also inside a tar or zip."""
    found = gdal.VSIStatL(path)
    handle = gdal.VSIFOpenL(path, "rb") if found is not None else None
    if handle is None:
        raise InputError(f"Cannot read {path}. Check that the product is complete.")
    try:
        return gdal.VSIFReadL(1, found.size, handle).decode("utf-8", errors="replace")
    finally:
        gdal.VSIFCloseL(handle)


def _archive_root(path: str, prefix: str) -> str:
    return path if path.startswith("/vsi") else f"{prefix}{os.path.abspath(path)}"


# --- Landsat ---------------------------------------------------------------------------------


def _mtl_groups(text: str, name: str) -> dict[str, dict[str, str]]:
    """{innermost group: {key: value}} of an MTL (ODL text or XML); ``"": top group name}``."""
    groups: dict[str, dict[str, str]] = {}
    if text.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError as err:
            raise InputError(f"{name} is not a readable MTL ({err}). Download it again.") from err
        for group in root:
            groups[group.tag] = {item.tag: (item.text or "").strip() for item in group}
        groups[""] = {"top": root.tag}
        return groups
    stack: list[str] = []
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if key == "GROUP":
            stack.append(value)
            groups.setdefault(value, {})
        elif key == "END_GROUP" and stack:
            stack.pop()
        elif value and stack:
            groups[stack[-1]].setdefault(key, value.strip('"'))
    groups[""] = {"top": next(iter(groups), "")}
    return groups


def _landsat(folder: str, mtl: str) -> _Product:
    """The product described by ``mtl``, whose band files lie in ``folder``."""
    name = PurePosixPath(mtl).name
    groups = _mtl_groups(_read_text(mtl), name)
    collection = _COLLECTIONS.get(groups[""]["top"])
    if collection is None:
        raise InputError(
            f"{name} is not a Landsat Collection 1 or 2 MTL file (no LANDSAT_METADATA_FILE or "
            "L1_METADATA_FILE group). Give the product's *_MTL.txt, its folder or its .tar."
        )

    def value(key: str) -> str:
        return groups.get(_MTL_GROUPS[key][collection], {}).get(key, "")

    product_id = value("LANDSAT_PRODUCT_ID") or _MTL.match(name)[1]
    sensor = product_id[:4] if re.match(r"L[COTEM]0\d$", product_id[:4]) else ""
    if not sensor and value("SPACECRAFT_ID")[-1:].isdigit():
        letter = _SENSOR_LETTERS.get(value("SENSOR_ID").rstrip("+"), "")
        sensor = f"L{letter}0{value('SPACECRAFT_ID')[-1]}" if letter else ""
    path, row = value("WRS_PATH"), value("WRS_ROW")
    cloud = _number(value("CLOUD_COVER"))
    file_group = groups.get(_MTL_GROUPS["FILE_NAME_BAND"][collection], {})
    files = {
        int(match[1]): _join(folder, file)
        for key, file in file_group.items()
        if (match := re.fullmatch(r"FILE_NAME_BAND_(\d+)", key))
    }
    metadata = SceneMetadata(
        image_id=product_id,
        date=_iso_date(value("DATE_ACQUIRED")) or naming.scene_date(product_id),
        sensor=sensor,
        path_row=f"{int(path):03d}{int(row):03d}" if path.isdigit() and row.isdigit() else "",
        cloud_cover=cloud if cloud is not None and cloud >= 0 else None,  # -1: not assessed
    )
    return _Product(metadata, files)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _iso_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _mtl_in(folder: str, names: list[str], given: str, archive: bool = False) -> str:
    """The one product's MTL among ``names`` (the .txt where both exist)."""
    mtls = sorted((n for n in names if _MTL.match(PurePosixPath(n).name)), key=_mtl_order)
    products = {_MTL.match(PurePosixPath(n).name)[1] for n in mtls}
    if not mtls:
        cut = " or its download is incomplete (download it again)" if archive else ""
        raise InputError(
            f"{given} holds no Landsat *_MTL.txt or *_MTL.xml file: it is not a Landsat "
            f"Level-1 product{cut}. Give a Landsat product (its .tar, folder or MTL file), "
            "a Sentinel-2 .SAFE or .zip, or a raster."
        )
    if len(products) > 1:
        raise InputError(
            f"{given} holds {len(products)} Landsat products. Give one product's MTL file, "
            "or the folder to a batch run."
        )
    return _join(folder, mtls[0])


def _mtl_order(name: str) -> tuple[bool, str]:
    return (not name.lower().endswith(".txt"), name)


# --- Sentinel-2 ------------------------------------------------------------------------------


def _sentinel2(safe: str, mtd: str) -> _Product:
    """The product of the ``.SAFE`` folder ``safe`` (a GDAL path) described by ``mtd``."""
    name = PurePosixPath(mtd).name
    try:
        root = ElementTree.fromstring(_read_text(mtd))
    except ElementTree.ParseError as err:
        raise InputError(f"{name} is not readable XML ({err}). Download it again.") from err
    items: dict[str, str] = {}
    image_files: list[str] = []
    for element in root.iter():
        tag, text = element.tag.rsplit("}", 1)[-1], (element.text or "").strip()
        if tag == "IMAGE_FILE":
            image_files.append(text)
        else:
            items.setdefault(tag, text)
    uri = items.get("PRODUCT_URI", "") or PurePosixPath(safe).name
    image_id = re.sub(r"\.SAFE$", "", uri, flags=re.IGNORECASE)
    granules = {file.split("/")[1] for file in image_files if file.startswith("GRANULE/")}
    if len(granules) > 1:
        raise InputError(
            f"{image_id} holds {len(granules)} tiles (a pre-2017 Sentinel-2 product). "
            "Download the single-tile product of the tile you need."
        )
    files: dict[int, tuple[int, str]] = {}
    for file in image_files:
        if match := _S2_BAND_FILE.search(file):
            band, metres = int(match[1]), int(match[2] or 0)
            if band not in files or metres < files[band][0]:  # L2A: the finest resolution
                files[band] = (metres, _join(safe, f"{file}.jp2"))
    spacecraft = items.get("SPACECRAFT_NAME", "")
    metadata = SceneMetadata(
        image_id=image_id,
        date=_iso_date(items.get("PRODUCT_START_TIME", "")) or naming.scene_date(image_id),
        sensor=f"S2{spacecraft[-1]}" if spacecraft.startswith("Sentinel-2") else "",
        path_row=naming.scene_sensor(image_id)[1]
        or naming.scene_sensor(next(iter(granules), ""))[1],
        cloud_cover=_number(items.get("Cloud_Coverage_Assessment", "")),
    )
    return _Product(metadata, {band: path for band, (_, path) in files.items()})


def _safe_mtd(safe: str, given: str) -> str:
    names = gdal.ReadDir(safe) or []
    found = sorted(n for n in names if _S2_MTD.match(n))
    if not found:
        raise InputError(
            f"{given} holds no MTD_MSIL1C.xml or MTD_MSIL2A.xml. Give a complete Sentinel-2 "
            ".SAFE folder or its .zip."
        )
    return _join(safe, found[0])


def _zip_safe(root: str, given: str) -> str:
    """The .SAFE folder inside a Sentinel-2 zip."""
    safes = [n for n in gdal.ReadDir(root) or [] if n.rstrip("/").upper().endswith(".SAFE")]
    if len(safes) != 1:
        raise InputError(
            f"{given} does not hold one Sentinel-2 .SAFE folder. Give the product's zip as "
            "downloaded (or its unpacked .SAFE folder)."
        )
    return _join(root, safes[0].rstrip("/"))


# --- any product ------------------------------------------------------------------------------


def _kind(path: str) -> str:
    name = PurePosixPath(path.rstrip("/").replace("\\", "/")).name
    lower = name.lower()
    if lower.endswith(TAR_SUFFIXES):
        return "tar"
    if lower.endswith(".zip"):
        return "zip"
    if _is_dir(path):
        return "safe" if lower.endswith(".safe") or _holds_s2_metadata(path) else "folder"
    if _MTL.match(name):
        return "mtl"
    if _S2_MTD.match(name):
        return "mtd"
    return "raster"


def _holds_s2_metadata(folder: str) -> bool:
    return any(_S2_MTD.match(n) for n in gdal.ReadDir(folder) or [])


def _product(path: str, kind: str) -> _Product:
    if not _exists(path):
        raise InputError(f"Scene not found: {path}. Check the path or pick another file.")
    if kind == "tar":
        root = _archive_root(path, "/vsitar/")
        try:
            members = gdal.ReadDirRecursive(root) or []
        except RuntimeError:
            members = []
        mtl = _mtl_in(root, members, path, archive=True)
        return _landsat(posixpath.dirname(mtl), mtl)
    if kind == "zip":
        safe = _zip_safe(_archive_root(path, "/vsizip/"), path)
        return _sentinel2(safe, _safe_mtd(safe, path))
    if kind == "safe":
        return _sentinel2(path, _safe_mtd(path, path))
    if kind == "mtd":
        return _sentinel2(os.path.dirname(path), path)
    folder = path if kind == "folder" else os.path.dirname(path) or "."
    mtl = path if kind == "mtl" else _mtl_in(path, gdal.ReadDir(path) or [], path)
    return _landsat(folder, mtl)


def name_metadata(path: str) -> SceneMetadata:
    """What a file name says: id, date, sensor and path/row (``naming``), no cloud cover."""
    sensor, path_row = naming.scene_sensor(PurePosixPath(path).name)
    return SceneMetadata(naming.scene_id(path), naming.scene_date(path), sensor, path_row, None)


def _enclosing_product(path: str) -> SceneMetadata | None:
    """The metadata of the product a band file belongs to (its MTL beside it, or the .SAFE
    above it), or None."""
    path = path.replace("\\", "/")
    folder, name = posixpath.split(path)
    try:
        if match := _LANDSAT_ID.match(name):
            for suffix in ("_MTL.txt", "_MTL.xml"):
                mtl = _join(folder, f"{match[1]}{suffix}")
                if _exists(mtl):
                    return _landsat(folder, mtl).metadata
        while folder not in ("", "/") and folder != posixpath.dirname(folder):
            if folder.upper().endswith(".SAFE"):
                return _sentinel2(folder, _safe_mtd(folder, path)).metadata
            folder = posixpath.dirname(folder)
    except InputError:
        pass  # a damaged metadata file: the file name still says something
    return None


def scene_metadata(path: str) -> SceneMetadata:
    """The metadata of any source, from its metadata file (no pixel read); a plain raster's
    from its product's metadata file when it lies in one, else from its file name."""
    path = str(path)
    kind = _kind(path)
    if kind != "raster":
        return _product(path, kind).metadata
    return _enclosing_product(path) or name_metadata(path)


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
    """The raster and band to process for a plain raster or a product.

    ``band`` None: a product's band comes from ``bands.BANDS`` for its sensor, a plain
    raster's is 1. A given band overrides it; for a product it is the sensor's band number
    (8 → the ``_B8`` file).
    """
    path = str(path)
    kind = _kind(path)
    if kind == "raster":
        chosen = band or 1
        io.open_scene(path, chosen)
        how = "as given" if band else "a single raster: band 1 unless BAND / --band says"
        return SceneSource(path, chosen, scene_metadata(path), path, f"band {chosen} ({how})")
    product = _product(path, kind)
    meta = product.metadata
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
    if not _exists(file):
        raise InputError(
            f"{PurePosixPath(file).name}, band {number} of {meta.image_id}, is missing from "
            f"{path}. Download or extract the product again."
        )
    _check_readable(file, path)
    return SceneSource(file, 1, meta, path, note)


def find_sources(folder: str) -> Iterator[str]:
    """Every product and plain raster under ``folder``, each product once, sorted.

    A tar, a ``.SAFE`` folder or a Sentinel-2 zip (named ``S2?_MSIL1C_...``/``MSIL2A``:
    other zips are left alone) is one source; an extracted Landsat product is its MTL
    file (the band files beside it are not listed); hidden files and folders are skipped.
    """
    if not os.path.isdir(folder):
        raise InputError(f"{folder} is not a folder. Give the folder that holds the scenes.")
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for safe in [d for d in dirs if d.upper().endswith(".SAFE")]:
            found.append(os.path.join(root, safe))
            dirs.remove(safe)
        mtls = sorted((f for f in files if _MTL.match(f)), key=_mtl_order)
        products = {}
        for mtl in mtls:
            products.setdefault(_MTL.match(mtl)[1], mtl)
        found += [os.path.join(root, mtl) for mtl in products.values()]
        for name in files:
            lower = name.lower()
            if name.startswith(".") or any(name.startswith(f"{p}_") for p in products):
                continue
            if lower.endswith(TAR_SUFFIXES + RASTER_SUFFIXES) or _S2_ZIP.match(name):
                found.append(os.path.join(root, name))
    yield from sorted(found)
