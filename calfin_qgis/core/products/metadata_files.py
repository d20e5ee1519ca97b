"""Landsat MTL and Sentinel-2 MTD metadata files read into ``SceneMetadata`` and the product's
band files, also inside a tar or zip (through GDAL's virtual file systems): the real layouts
of Landsat Collection 1 (``L1_METADATA_FILE``) and Collection 2 (``LANDSAT_METADATA_FILE``,
as ``_MTL.txt`` or ``_MTL.xml``) and of Sentinel-2 L1C/L2A ``MTD_MSIL1C.xml`` /
``MTD_MSIL2A.xml``. :mod:`products` finds the files; this module only reads them.
"""

from __future__ import annotations

import datetime
import json
import re
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from osgeo import gdal

from ..errors import InputError
from . import naming

gdal.UseExceptions()

MTL_NAME = re.compile(r"^(.+)_MTL\.(txt|xml)$", re.IGNORECASE)
S2_MTD_NAME = re.compile(r"^MTD_MSIL(1C|2A)\.xml$", re.IGNORECASE)
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


def name_metadata(path: str) -> SceneMetadata:
    """What a file name says: id, date, sensor and path/row (``naming``), no cloud cover."""
    sensor, path_row = naming.scene_sensor(PurePosixPath(path).name)
    return SceneMetadata(naming.scene_id(path), naming.scene_date(path), sensor, path_row, None)


@dataclass(frozen=True)
class ProductFiles:
    """What a product's metadata file says: its metadata and where its band files are."""

    metadata: SceneMetadata
    files: dict[int, str]
    """Band number → GDAL path of its file."""


# Paths are GDAL's: files, or members of a tar or zip (``/vsitar/...``, ``/vsizip/...``).


def is_dir(path: str) -> bool:
    found = gdal.VSIStatL(path)
    return found is not None and stat.S_ISDIR(found.mode)


def exists(path: str) -> bool:
    return gdal.VSIStatL(path) is not None


def join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}"


def _read_text(path: str) -> str:
    """A metadata file's text, also inside a tar or zip."""
    found = gdal.VSIStatL(path)
    handle = gdal.VSIFOpenL(path, "rb") if found is not None else None
    if handle is None:
        raise InputError(f"Cannot read {path}. Check that the product is complete.")
    try:
        if found.size == 0:
            raise InputError(
                f"{PurePosixPath(path).name} is empty (0 bytes): the product is damaged or "
                "incomplete. Download it again."
            )
        return gdal.VSIFReadL(1, found.size, handle).decode("utf-8", errors="replace")
    finally:
        gdal.VSIFCloseL(handle)


# --- Landsat ---------------------------------------------------------------------------------


def _mtl_groups(text: str, name: str) -> dict[str, dict[str, str]]:
    """``{group: {key: value}}`` of an MTL (ODL text or XML), keys under their innermost
    group, the first of a repeated key kept; ``groups[""]["top"]`` is the outermost group."""
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


def read_landsat(folder: str, mtl: str) -> ProductFiles:
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

    product_id = value("LANDSAT_PRODUCT_ID") or MTL_NAME.match(name)[1]
    sensor = product_id[:4] if re.match(r"L[COTEM]0\d$", product_id[:4]) else ""
    if not sensor and value("SPACECRAFT_ID")[-1:].isdigit():
        letter = _SENSOR_LETTERS.get(value("SENSOR_ID").rstrip("+"), "")
        sensor = f"L{letter}0{value('SPACECRAFT_ID')[-1]}" if letter else ""
    path, row = value("WRS_PATH"), value("WRS_ROW")
    cloud = _number(value("CLOUD_COVER"))
    file_group = groups.get(_MTL_GROUPS["FILE_NAME_BAND"][collection], {})
    files = {
        int(match[1]): join(folder, file)
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
    return ProductFiles(metadata, files)


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


def mtl_in(folder: str, names: list[str], given: str, archive: bool = False) -> str:
    """The one product's MTL among ``names`` (the .txt where both exist)."""
    mtls = sorted((n for n in names if MTL_NAME.match(PurePosixPath(n).name)), key=mtl_order)
    products = {MTL_NAME.match(PurePosixPath(n).name)[1] for n in mtls}
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
    return join(folder, mtls[0])


def mtl_order(name: str) -> tuple[bool, str]:
    """Sort key: a product's ``_MTL.txt`` before its ``_MTL.xml``."""
    return (not name.lower().endswith(".txt"), name)


# --- Sentinel-2 ------------------------------------------------------------------------------


def read_sentinel2(safe: str, mtd: str) -> ProductFiles:
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
                files[band] = (metres, join(safe, f"{file}.jp2"))
    spacecraft = items.get("SPACECRAFT_NAME", "")
    metadata = SceneMetadata(
        image_id=image_id,
        date=_iso_date(items.get("PRODUCT_START_TIME", "")) or naming.scene_date(image_id),
        sensor=f"S2{spacecraft[-1]}" if spacecraft.startswith("Sentinel-2") else "",
        path_row=naming.scene_sensor(image_id)[1]
        or naming.scene_sensor(next(iter(granules), ""))[1],
        cloud_cover=_number(items.get("Cloud_Coverage_Assessment", "")),
    )
    return ProductFiles(metadata, {band: path for band, (_, path) in files.items()})


def safe_mtd(safe: str, given: str) -> str:
    """The metadata file of a .SAFE folder."""
    names = gdal.ReadDir(safe) or []
    found = sorted(n for n in names if S2_MTD_NAME.match(n))
    if not found:
        raise InputError(
            f"{given} holds no MTD_MSIL1C.xml or MTD_MSIL2A.xml. Give a complete Sentinel-2 "
            ".SAFE folder or its .zip."
        )
    return join(safe, found[0])


def zip_safe(root: str, given: str) -> str:
    """The .SAFE folder inside a Sentinel-2 zip."""
    safes = [n for n in gdal.ReadDir(root) or [] if n.rstrip("/").upper().endswith(".SAFE")]
    if len(safes) != 1:
        raise InputError(
            f"{given} does not hold one Sentinel-2 .SAFE folder. Give the product's zip as "
            "downloaded (or its unpacked .SAFE folder)."
        )
    return join(root, safes[0].rstrip("/"))
