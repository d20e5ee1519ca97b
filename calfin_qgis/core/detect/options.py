"""Every detection setting, once: its ``DetectOptions`` field, QGIS parameter, shell flag,
type, default, range and help. ``processing/parameters.py`` builds the QGIS parameters
from this table, ``cli/args.py`` the shell's arguments and ``DetectOptions`` its defaults,
so they cannot disagree. Constants only (no numpy, no GDAL): QGIS imports it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import contract

FLOW_CHOICES = ("unknown", *contract.FLOWS)
"""The FLOW parameter's options; their order is the index older models and scripts pass."""


@dataclass(frozen=True)
class Option:
    """One setting. A ``bool`` option is on by default and its shell flag turns it off."""

    field: str
    """Its ``DetectOptions`` field (``device``: ``DetectJob``'s)."""
    parameter: str
    """The QGIS Processing parameter's name."""
    flag: str
    """The shell's flag."""
    kind: type
    """int, float, bool or str."""
    default: object
    label: str
    """The QGIS parameter's description."""
    help: str
    """The shell's help for the flag, without the default and range (added from the table)."""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    none_value: object = None
    """The value ``DetectOptions`` holds as None (no limit, unknown)."""
    advanced: bool = False
    """Among QGIS's advanced parameters."""

    def field_value(self, value):
        """``value`` as the ``DetectOptions`` field holds it."""
        if self.none_value is not None and value == self.none_value:
            return None
        return value

    @property
    def field_default(self):
        return self.field_value(self.default)


SCENE = (
    Option(
        "band",
        "BAND",
        "--band",
        int,
        None,
        "Band (empty: a product's from the sensor band table, a raster's band 1)",
        "band number; without it a product's band comes from the sensor band table (README, "
        "'Band': 8 for Landsat 8 B8), a plain raster's is band 1",
        minimum=1,
    ),
    Option(
        "glacier_id",
        "GLACIER_ID",
        "--glacier-id",
        str,
        "",
        "Glacier id",
        "glacier id written into every front",
    ),
)
"""What the scene is: the band to read and the glacier it shows."""

INFERENCE = (
    Option(
        "flow",
        "FLOW",
        "--flow",
        str,
        "unknown",
        "Ice flow direction in the image",
        "ice flow direction in the image: up, down, left, right, or an azimuth in degrees "
        "clockwise from up (90: right); without it the direction is estimated from the scene",
        choices=FLOW_CHOICES,
        none_value="unknown",
    ),
    Option(
        "device",
        "DEVICE",
        "--device",
        str,
        "auto",
        "Execution provider",
        "where the network runs; auto: CUDA when onnxruntime-gpu and a GPU are present, "
        "else the CPU",
        choices=contract.DEVICES,
        advanced=True,
    ),
    Option(
        "overlap",
        "OVERLAP",
        "--overlap",
        int,
        64,
        "Tile overlap (pixels)",
        "pixels by which neighbouring tiles overlap, blended without seams",
        minimum=0,
        maximum=224,
        advanced=True,
    ),
    Option(
        "batch_size",
        "BATCH_SIZE",
        "--batch-size",
        int,
        4,
        "Tiles per batch",
        "tiles the network is given at once: more is faster and takes more memory",
        minimum=1,
        maximum=64,
        advanced=True,
    ),
    Option(
        "flip",
        "FLIP",
        "--no-flip",
        bool,
        True,
        "Also predict mirrored tiles and average (more accurate, 2x slower)",
        "skip the mirrored pass: 2x faster, less accurate",
        advanced=True,
    ),
    Option(
        "resample",
        "RESAMPLE",
        "--keep-resolution",
        bool,
        True,
        f"Average pixels much finer than the model's {contract.TRAIN_PIXEL_SIZE_M:g} m "
        f"(e.g. 15 m panchromatic) to {contract.TRAIN_PIXEL_SIZE_M:g} m",
        "keep pixels much finer than the model's (e.g. 15 m) instead of averaging them to "
        f"its {contract.TRAIN_PIXEL_SIZE_M:g} m",
        advanced=True,
    ),
)
"""How the network runs: the scene's orientation, where, in which tiles, at which pixel size."""

EXTRACTION = (
    Option(
        "threshold",
        "THRESHOLD",
        "--threshold",
        float,
        contract.EDGE_THRESHOLD,
        "Edge threshold",
        "edge probability that seeds a front",
        minimum=0.01,
        maximum=0.99,
    ),
    Option(
        "low_threshold",
        "LOW_THRESHOLD",
        "--low-threshold",
        float,
        contract.EDGE_LOW_THRESHOLD,
        "Hysteresis threshold: weaker edge pixels joined to the front (0 or not below the edge "
        "threshold = off)",
        "hysteresis: weaker edge pixels joined to the front where they touch it; 0, or not "
        "below --threshold, turns it off",
        minimum=0.0,
        maximum=0.99,
    ),
    Option(
        "min_length_px",
        "MIN_LENGTH",
        "--min-length",
        float,
        10.0,
        "Minimum front length (pixels)",
        "shortest front kept, in pixels",
        minimum=0.0,
    ),
    Option(
        "simplify_px",
        "SIMPLIFY",
        "--simplify",
        float,
        1.0,
        "Simplification tolerance (pixels)",
        "simplification tolerance of the lines, in pixels; 0 keeps every vertex",
        minimum=0.0,
    ),
    Option(
        "max_fronts",
        "MAX_FRONTS",
        "--max-fronts",
        int,
        0,
        "Most front pieces per scene (0 = no limit)",
        "most front pieces per scene, the longest kept; 0 means no limit",
        minimum=0,
        none_value=0,
    ),
    Option(
        "min_contrast",
        "MIN_CONTRAST",
        "--min-contrast",
        float,
        0.5,
        "Keep extra pieces that separate ice from ocean at least this well (1 = longest only)",
        "pieces besides the longest are kept when the ice probability on their two sides "
        "differs by at least this; 1 keeps the longest only",
        minimum=0.0,
        maximum=1.0,
    ),
)
"""How the front-edge probabilities become lines."""

OPTIONS = {option.field: option for option in (*SCENE, *INFERENCE, *EXTRACTION)}
"""Every detection setting by its field name."""


def default(field: str):
    """The ``DetectOptions`` default of ``field``."""
    return OPTIONS[field].field_default
