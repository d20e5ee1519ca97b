"""Attributes of a front feature, shared by the writers, the Processing sinks and the dock."""

from __future__ import annotations

# CALFIN quality flags.
QUAL_MANUAL = 0
QUAL_MANUAL_EDITED = 3
QUAL_AUTO = 10
QUAL_AUTO_LOW_CONFIDENCE = 13

REJECTED = "rejected"
"""The review dock's status of a front judged wrong: it is never measured or exported."""

LOW_CONFIDENCE = 0.5
"""Automatic picks whose mean edge probability is below this get flag 13."""

FRONT_FIELDS: tuple[tuple[str, str], ...] = (
    ("glacier_id", "str"),
    ("image_id", "str"),
    ("date", "date"),
    ("qual_flag", "int"),
    ("confidence", "float"),
    ("length_m", "float"),
    ("source", "str"),
    ("sensor", "str"),
    ("path_row", "str"),
    ("cloud_cover", "float"),
    ("flow_azimuth", "float"),
)
"""Name and kind of each attribute, in layer order; ``sensor`` (LC08, S2A...), ``path_row``
(WRS path/row or MGRS tile) and ``cloud_cover`` (scene, percent) come from the product's
metadata (``products``). ``flow_azimuth``: a detected front's ice side, as the direction
ice → ocean across it in degrees clockwise from grid north (the line itself runs with the
ice on its left); empty for hand-drawn fronts and where the ice probability could not tell.
Layers written before them lack the last four: readers must not require them."""

STATUS_FIELDS: tuple[tuple[str, str], ...] = (
    ("image_id", "str"),
    ("glacier_id", "str"),
    ("source", "str"),
    ("status", "str"),
    ("fronts", "int"),
    ("seconds", "float"),
)
"""The batch's status table: one row per scene × glacier polygon (``core.batch``)."""


def qual_flag(confidence: float) -> int:
    return QUAL_AUTO if confidence >= LOW_CONFIDENCE else QUAL_AUTO_LOW_CONFIDENCE
