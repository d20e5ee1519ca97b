"""Scene names to ids and acquisition dates, so that outputs and references can be paired.

Dates come from the names alone (Landsat product and scene ids, Sentinel-1/2 product and
tile names, and CALFIN's own ``Helheim_LC08_L1TP_2018-06-06_232-013_T1_B5_Subset`` form),
which works for subsets that carry a glacier prefix and no metadata.
"""

from __future__ import annotations

import datetime
import re
from pathlib import PurePosixPath

_SUFFIX = re.compile(r"_(subset|front)$", re.IGNORECASE)
_START = r"(?<![A-Za-z0-9])"
_DAY = r"(\d{8}|\d{4}-\d{2}-\d{2})"
_DATED = [
    re.compile(_START + r"L[COTEM]0\d_L[0-9A-Z]{3}_\d{6}_" + _DAY + r"_\d{8}_\d{2}_"),
    re.compile(_START + r"L[COTEM]0\d_L[0-9A-Z]{3}_" + _DAY + r"_\d{3}-\d{3}_"),
    re.compile(_START + r"(?:S2[A-D]_MSI[0-9A-Z]{3}|T\d{2}[A-Z]{3})_" + _DAY + r"T\d{6}"),
    re.compile(_START + r"S1[A-D]_[0-9A-Z]{2}_[0-9A-Z]{4}_[0-9A-Z]{4}_" + _DAY),
]
"""Landsat Collection 1/2 product id, CALFIN's Landsat names, Sentinel-2, Sentinel-1."""
_LANDSAT_SCENE = re.compile(_START + r"L[COTEM]\d{7}(\d{4})(\d{3})[A-Z]{3}\d{2}")
"""Pre-collection Landsat scene id: sensor, path/row, year, day of year, station, version."""


def strip_suffix(name: str) -> str:
    """``X_Subset`` or ``X_Front`` → ``X``: the image id of a FrontLearning file name."""
    return _SUFFIX.sub("", name)


def scene_id(path_or_name: str) -> str:
    """File name without folder, extension and a trailing ``_Subset`` or ``_Front``."""
    return strip_suffix(PurePosixPath(path_or_name.replace("\\", "/")).stem)


def _ymd(text: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(text.replace("-", ""), "%Y%m%d").date()
    except ValueError:
        return None


def _ordinal(year: str, day: str) -> datetime.date | None:
    start = datetime.date(int(year), 1, 1)
    date = start + datetime.timedelta(days=int(day) - 1)
    return date if int(day) >= 1 and date.year == start.year else None


def scene_date(name: str) -> datetime.date | None:
    """Acquisition date from a Landsat or Sentinel name anywhere in ``name``, else None."""
    for pattern in _DATED:
        for match in pattern.finditer(name):
            if date := _ymd(match.group(1)):
                return date
    for match in _LANDSAT_SCENE.finditer(name):
        if date := _ordinal(*match.groups()):
            return date
    return None


_PRODUCT_SENSOR = re.compile(_START + r"(L[COTEM]0\d)_L[0-9A-Z]{3}_(\d{6})_\d{8}_")
_CALFIN_SENSOR = re.compile(_START + r"(L[COTEM]0\d)_L[0-9A-Z]{3}_" + _DAY + r"_(\d{3})-(\d{3})_")
_SCENE_SENSOR = re.compile(_START + r"L([COTEM])(\d)(\d{6})\d{7}[A-Z]{3}\d{2}")
_SENTINEL_UNIT = re.compile(_START + r"(S[12][A-D])_")
_S2_TILE = re.compile(_START + r"(T\d{2}[A-Z]{3})_\d{8}T\d{6}")


def scene_sensor(name: str) -> tuple[str, str]:
    """(sensor, WRS path/row or MGRS tile) from a Landsat or Sentinel name in ``name``:
    ``("LC08", "008011")``, ``("S2A", "T22WEV")``, ``("S2", "T22WEV")`` for a Sentinel-2
    band file (its name has no unit); ``""`` for what the name does not say."""
    if match := _PRODUCT_SENSOR.search(name):
        return match[1], match[2]
    if match := _CALFIN_SENSOR.search(name):
        return match[1], match[3] + match[4]
    if match := _SCENE_SENSOR.search(name):
        return f"L{match[1]}0{match[2]}", match[3]
    unit, tile = _SENTINEL_UNIT.search(name), _S2_TILE.search(name)
    return (unit[1] if unit else "S2" if tile else ""), (tile[1] if tile else "")
