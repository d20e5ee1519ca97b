"""Which band of each sensor to give the model, and why: the one table the products reader,
the CLI, the algorithms' help and the README all read.

The bundled model was trained on 123 FrontLearning subsets (model/MODEL_CARD.md): 102 green
B2 scenes of Landsat 5 TM (50) and Landsat 7 ETM+ (52), 17 panchromatic B8 scenes (13
Landsat 7, 4 Landsat 8) and 4 Landsat 8 B2 (blue) scenes. Each sensor gets the band closest
to those. Constants only, so that QGIS start-up (help texts) can import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BandChoice:
    sensors: tuple[str, ...]
    """Product-id prefixes (``LC08``) or Sentinel-2 units (``S2A``) this row is for."""
    instrument: str
    band: int
    """The band number of the product's files: Landsat ``_B<n>.TIF``, Sentinel-2 ``_B<nn>``."""
    label: str
    why: str


BANDS: tuple[BandChoice, ...] = (
    BandChoice(
        ("LC08", "LC09", "LO08", "LO09"),
        "Landsat 8/9 OLI, OLI-2",
        8,
        "B8 panchromatic, 15 m",
        "panchromatic B8 is in the training data (17 scenes, 4 of them Landsat 8); OLI's "
        "green is B3, which the model never saw, and its B2 is blue (4 scenes)",
    ),
    BandChoice(
        ("LE07",),
        "Landsat 7 ETM+",
        2,
        "B2 green, 30 m",
        "52 training scenes are Landsat 7 B2 (green), 13 its panchromatic B8 (BAND 8 picks it)",
    ),
    BandChoice(
        ("LT04", "LT05"),
        "Landsat 4/5 TM",
        2,
        "B2 green, 30 m",
        "50 training scenes are Landsat 5 B2 (green); Landsat 4 TM has the same bands",
    ),
    BandChoice(
        ("LM04", "LM05"),
        "Landsat 4/5 MSS",
        1,
        "B1 green, 60 m",
        "MSS green, the band closest to the training's; coarser than the training's 30-50 m "
        "pixels: not measured",
    ),
    BandChoice(
        ("LM01", "LM02", "LM03"),
        "Landsat 1-3 MSS",
        4,
        "B4 green, 60 m",
        "MSS green, the band closest to the training's; coarser than the training's 30-50 m "
        "pixels: not measured",
    ),
    BandChoice(
        ("S2A", "S2B", "S2C"),
        "Sentinel-2 MSI",
        3,
        "B03 green, 10 m",
        "green, as most training scenes; averaged to the model's 40 m; not measured on Sentinel-2",
    ),
)
"""One row per instrument, the default band first in the help and the README."""


def band_choice(sensor: str) -> BandChoice | None:
    """The row for a sensor code (``LC08``, ``S2B``), or None when the table has none."""
    return next((row for row in BANDS if sensor.upper() in row.sensors), None)


def band_table_markdown() -> str:
    """The table for the README."""
    lines = ["| Sensor (product id) | Band used | Why |", "|---|---|---|"]
    for row in BANDS:
        lines.append(f"| {row.instrument} ({', '.join(row.sensors)}) | {row.label} | {row.why} |")
    return "\n".join(lines)


def band_table_text() -> str:
    """The table for the algorithms' help: one line a sensor, plain text (qgis_process
    prints the help as it is; the QGIS dialog makes each line a paragraph)."""
    return "\n".join(f"{row.instrument}: {row.label}. Why: {row.why}." for row in BANDS)
