"""Satellite products in their real layouts, built around tiny GeoTIFF / JPEG2000 bands.

Landsat Level-1 products (Collection 1 and 2: the MTL text with its real groups and keys,
band files named ``<product id>_B<n>.TIF``, as a folder or a flat ``.tar`` as USGS ships it)
and Sentinel-2 L1C/L2A ``.SAFE`` folders (``MTD_MSIL1C.xml``/``MTD_MSIL2A.xml``, bands under
``GRANULE/<granule>/IMG_DATA``) and their zips. The band pixels can be the sample scene's
(a real Landsat 7 B2 subset on EPSG:3413). Nothing is downloaded.
"""

from __future__ import annotations

import datetime
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from osgeo import gdal

from tests.conftest import SAMPLE_SCENE

gdal.UseExceptions()

C2_OLI = "LC08_L1TP_008011_20200815_20200919_02_T1"
C1_ETM = "LE07_L1TP_009011_20010707_20170204_01_T1"
S2_L1C = "S2A_MSIL1C_20200815T151911_N0209_R068_T22WEV_20200815T172236"
S2_L2A = "S2B_MSIL2A_20210704T151809_N0301_R068_T22WEV_20210704T180522"


def write_band(path: Path, pixel_m: float = 40.0, driver: str = "GTiff") -> Path:
    """The sample scene's pixels (real Landsat 7 B2, EPSG:3413) at ``pixel_m`` metres."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if driver == "GTiff":
        gdal.Translate(str(path), str(SAMPLE_SCENE), xRes=pixel_m, yRes=pixel_m)
    else:  # JPEG2000 needs CreateCopy from a dataset on the wanted grid
        grid = gdal.Translate("/vsimem/s2_band.tif", str(SAMPLE_SCENE), xRes=pixel_m, yRes=pixel_m)
        gdal.GetDriverByName(driver).CreateCopy(str(path), grid, options=["QUALITY=100"])
        grid = None
        gdal.Unlink("/vsimem/s2_band.tif")
    return path


def landsat_mtl(
    product_id: str,
    band_numbers: list[int],
    cloud: float = 12.34,
    collection: int = 2,
    xml: bool = False,
) -> str:
    """An MTL in the real layout of Collection 2 (LANDSAT_METADATA_FILE) or 1
    (L1_METADATA_FILE); keys as USGS writes them, a realistic subset. ``xml``: the
    Collection 2 ``_MTL.xml`` form of the same."""
    sensor, level, path_row, acquired = product_id.split("_")[:4]
    spacecraft = f"LANDSAT_{int(sensor[2:])}"
    sensor_id = {"C": "OLI_TIRS", "O": "OLI", "E": "ETM", "T": "TM", "M": "MSS"}[sensor[1]]
    date = f"{acquired[:4]}-{acquired[4:6]}-{acquired[6:]}"
    day = datetime.date.fromisoformat(date).timetuple().tm_yday
    scene_id = f"L{sensor[1]}{int(sensor[2:])}{path_row}{acquired[:4]}{day:03d}EDC00"
    files = [f'    FILE_NAME_BAND_{n} = "{product_id}_B{n}.TIF"' for n in band_numbers]
    files.append(f'    FILE_NAME_METADATA_ODL = "{product_id}_MTL.txt"')
    scene = [
        f'    SPACECRAFT_ID = "{spacecraft}"',
        f'    SENSOR_ID = "{sensor_id}"',
        "    WRS_TYPE = 2",
        f"    WRS_PATH = {int(path_row[:3])}",
        f"    WRS_ROW = {int(path_row[3:])}",
        f"    DATE_ACQUIRED = {date}",
        '    SCENE_CENTER_TIME = "14:56:12.1234560Z"',
    ]
    if collection == 2:
        groups = {
            "PRODUCT_CONTENTS": [
                '    ORIGIN = "Image courtesy of the U.S. Geological Survey"',
                '    DIGITAL_OBJECT_IDENTIFIER = "https://doi.org/10.5066/P9OGBGM6"',
                f'    LANDSAT_PRODUCT_ID = "{product_id}"',
                f'    PROCESSING_LEVEL = "{level}"',
                "    COLLECTION_NUMBER = 02",
                '    COLLECTION_CATEGORY = "T1"',
                '    OUTPUT_FORMAT = "GEOTIFF"',
                *files,
            ],
            "IMAGE_ATTRIBUTES": [
                *scene,
                '    STATION_ID = "LGN"',
                f"    CLOUD_COVER = {cloud:.2f}",
                f"    CLOUD_COVER_LAND = {cloud:.2f}",
                "    SUN_AZIMUTH = 175.12345678",
            ],
            "LEVEL1_PROCESSING_RECORD": [
                f'    LANDSAT_PRODUCT_ID = "{product_id}"',
                f'    PROCESSING_LEVEL = "{level}"',
            ],
        }
        top = "LANDSAT_METADATA_FILE"
    else:
        groups = {
            "METADATA_FILE_INFO": [
                '    ORIGIN = "Image courtesy of the U.S. Geological Survey"',
                '    REQUEST_ID = "0501702043462_00011"',
                f'    LANDSAT_SCENE_ID = "{scene_id}"',
                f'    LANDSAT_PRODUCT_ID = "{product_id}"',
                "    COLLECTION_NUMBER = 01",
                '    STATION_ID = "EDC"',
            ],
            "PRODUCT_METADATA": [
                f'    DATA_TYPE = "{level}"',
                '    COLLECTION_CATEGORY = "T1"',
                '    OUTPUT_FORMAT = "GEOTIFF"',
                *scene,
                *files,
            ],
            "IMAGE_ATTRIBUTES": [f"    CLOUD_COVER = {cloud:.2f}", "    IMAGE_QUALITY = 9"],
        }
        top = "L1_METADATA_FILE"
    if xml:
        return _as_xml(top, groups)
    lines = [f"GROUP = {top}"]
    for group, items in groups.items():
        lines += [f"  GROUP = {group}", *items, f"  END_GROUP = {group}"]
    return "\n".join([*lines, f"END_GROUP = {top}", "END", ""])


def _as_xml(top: str, groups: dict[str, list[str]]) -> str:
    body = ""
    for group, items in groups.items():
        pairs = (item.strip().split(" = ", 1) for item in items)
        body += f"  <{group}>\n"
        body += "".join(f"    <{key}>{value.strip(chr(34))}</{key}>\n" for key, value in pairs)
        body += f"  </{group}>\n"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{top}>\n{body}</{top}>\n'


def landsat_folder(
    parent: Path,
    product_id: str = C2_OLI,
    band_pixels: dict[int, float] | None = None,
    cloud: float = 12.34,
    collection: int = 2,
) -> Path:
    """An extracted product: the MTL and one GeoTIFF per band (``{band: pixel metres}``)."""
    band_pixels = band_pixels or {2: 40.0, 8: 15.0}
    folder = parent / product_id
    folder.mkdir(parents=True, exist_ok=True)
    for number, pixel_m in band_pixels.items():
        write_band(folder / f"{product_id}_B{number}.TIF", pixel_m)
    text = landsat_mtl(product_id, sorted(band_pixels), cloud, collection)
    (folder / f"{product_id}_MTL.txt").write_text(text)
    return folder


def landsat_tar(parent: Path, folder: Path, truncate: str | None = None) -> Path:
    """The flat .tar USGS ships; ``truncate``: that member keeps only half its bytes, as in a
    file that was damaged or cut short on its way."""
    parent.mkdir(parents=True, exist_ok=True)
    path = parent / f"{folder.name}.tar"
    with tarfile.open(path, "w") as tar:
        for file in sorted(folder.iterdir()):
            if truncate and file.name.endswith(truncate):
                data = file.read_bytes()
                cut = folder.parent / f"cut_{file.name}"
                cut.write_bytes(data[: len(data) // 2])
                tar.add(cut, arcname=file.name)
                cut.unlink()
            else:
                tar.add(file, arcname=file.name)
    return path


def _s2_metadata(product: str, level: str, image_files: list[str], cloud: float) -> str:
    unit, _, start = product.split("_")[:3]
    start_time = f"{start[:4]}-{start[4:6]}-{start[6:8]}T{start[9:11]}:{start[11:13]}:"
    start_time += f"{start[13:15]}.024Z"
    files = "".join(f"<IMAGE_FILE>{file}</IMAGE_FILE>" for file in image_files)
    granule = image_files[0].split("/")[1]
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:Level-{level}_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-{level}.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{start_time}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{start_time}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>{product}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-{level}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI{level[-2:]}</PRODUCT_TYPE>
      <Datatake datatakeIdentifier="G{unit}_{start}_026878_N02.09">
        <SPACECRAFT_NAME>Sentinel-2{unit[-1]}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <SENSING_ORBIT_NUMBER>68</SENSING_ORBIT_NUMBER>
      </Datatake>
      <Product_Organisation>
        <Granule_List>
          <Granule granuleIdentifier="{granule}" imageFormat="JPEG2000">{files}</Granule>
        </Granule_List>
      </Product_Organisation>
    </Product_Info>
  </n1:General_Info>
  <n1:Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>{cloud}</Cloud_Coverage_Assessment>
  </n1:Quality_Indicators_Info>
</n1:Level-{level}_User_Product>
"""


def sentinel2_safe(parent: Path, product: str = S2_L1C, cloud: float = 3.5) -> Path:
    """A .SAFE folder with B03 and B08 (10 m) as JPEG2000 in the real L1C or L2A layout."""
    unit, kind, start, _, _, tile = product.split("_")[:6]
    level = "1C" if kind.endswith("1C") else "2A"
    granule = f"L{level}_{tile}_A026878_{start}"
    safe = parent / f"{product}.SAFE"
    image_files = []
    for band in ("B03", "B08"):
        if level == "1C":
            image_files.append(f"GRANULE/{granule}/IMG_DATA/{tile}_{start}_{band}")
        else:
            image_files += [
                f"GRANULE/{granule}/IMG_DATA/R{res}/{tile}_{start}_{band}_{res}"
                for res in ("10m", "20m")
            ]
    for file in image_files:
        pixel_m = 20.0 if file.endswith("20m") else 10.0
        write_band(safe / f"{file}.jp2", pixel_m, driver="JP2OpenJPEG")
    text = _s2_metadata(product, level, image_files, cloud)
    (safe / f"MTD_MSIL{level}.xml").write_text(text)
    return safe


def zipped(folder: Path) -> Path:
    """A folder zipped with itself at the top, as the Copernicus hub ships a .SAFE."""
    path = folder.parent / f"{folder.stem}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(folder.rglob("*")):
            archive.write(file, file.relative_to(folder.parent).as_posix())
    return path


def pixels(path: str) -> np.ndarray:
    return gdal.Open(path).ReadAsArray()
