"""Shared base of the calfin algorithms: naming, grouping, help, icon, dependency check."""

from __future__ import annotations

import time
from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtGui import QIcon

from .. import deps
from ..core import bands, contract  # constants only
from ..core.errors import Cancelled, InputError

DEVICES = ["auto", "cpu", "cuda"]
FLOWS = ["unknown", "up", "down", "left", "right"]

ICON = Path(__file__).resolve().parent.parent / "icons" / "calfin.svg"

CITATION = (
    "<p>Method: Cheng, D., Hayes, W., Larour, E., et al. (2021), Calving Front Machine "
    "(CALFIN): glacial termini dataset and automated deep learning extraction method for "
    "Greenland, 1972-2019, The Cryosphere 15, 1663-1675. Model trained on scenes of "
    "Mohajerani et al. (2019), Remote Sensing 11(1):74.</p>"
)

BAND_HELP = (
    "<p><b>Band</b>: the bundled model was trained on Landsat green (B2 on Landsat 5/7) and "
    "panchromatic (B8) bands. Give each sensor's band as the table says: load that band's "
    "file (BAND picks a band of a multi-band raster); the command line picks it from a "
    "product by itself. A band file inside its product (next to its MTL, inside its .SAFE) "
    "gives the fronts the product id, date, sensor, path/row and cloud cover.</p>"
    + bands.band_table_html()
    + "<p>CALFIN itself used near-infrared (Landsat 8/9 B5, Landsat 4-7 B4, Sentinel-2 B8), "
    "where ice and water also differ strongly; this model has not been measured on it.</p>"
)

INFERENCE_HELP = (
    "<p><b>Advanced</b>: <i>Execution provider</i> (DEVICE) auto uses CUDA when onnxruntime-gpu "
    "and a GPU are present, and the log names the provider that ran; <i>Tile overlap</i> "
    "(OVERLAP, pixels) blends neighbouring 256 px tiles without seams; <i>Tiles per batch</i> "
    "(BATCH_SIZE) trades memory for speed; <i>mirrored tiles</i> (FLIP) average a left-right "
    "mirrored pass in (more accurate, twice the time).</p>"
)

EXTRACTION_HELP = (
    "<p><b>Extraction</b>: <i>Edge threshold</i> (THRESHOLD) seeds the front; weaker pixels "
    "down to the <i>hysteresis threshold</i> (LOW_THRESHOLD) join it where they touch; "
    "<i>Minimum front length</i> (MIN_LENGTH, pixels) drops short pieces; <i>Simplification "
    "tolerance</i> (SIMPLIFY, pixels) thins vertices; <i>Most front pieces</i> (MAX_FRONTS) "
    "keeps the longest ones; pieces besides the longest are kept when the model's ice "
    "probability differs by at least <i>MIN_CONTRAST</i> on their two sides. "
    "<i>Glacier id</i> (GLACIER_ID) is written into every front.</p>"
)

FLOW_HELP = (
    "<p><b>Ice flow direction</b> (the way the ice moves in the image, towards the ocean): "
    "the model works best when the ice flows up, so the window is turned accordingly and "
    "the result turned back. Left at <i>unknown</i>, a window of up to "
    f"{contract.AUTO_FLOW_LIMIT / 1e6:g} Mpx is predicted "
    "once, the direction estimated from the ice/ocean probabilities, and, when the ice does "
    "not flow up, predicted again turned; give the direction when you know it (it is more "
    "reliable).</p>"
)

RESAMPLE_HELP = (
    "<p><b>Resolution</b>: the network learnt fronts at 30-50 m. A scene in a metric CRS with "
    f"pixels finer than {contract.FINE_PIXEL_FRACTION * contract.TRAIN_PIXEL_SIZE_M:g} m "
    "(a 15 m panchromatic band, 10-20 m Sentinel-2) is averaged to "
    f"{contract.TRAIN_PIXEL_SIZE_M:g} m first, and the outputs are on that grid; turn off "
    "<i>Average pixels much finer</i> (advanced, RESAMPLE) to keep the scene's pixels.</p>"
)


class CalfinAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set ``_name``, ``_display_name``, ``_help`` and implement the rest."""

    _name = ""
    _display_name = ""
    _group = "Calving fronts"
    _help = ""
    _band_help = True
    """The INPUT is a satellite scene whose BAND the user picks (BAND_HELP applies)."""

    def name(self) -> str:
        return self._name

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        return self._display_name

    def group(self) -> str:
        return self._group

    def groupId(self) -> str:  # noqa: N802 - QGIS API
        return "calving_fronts"

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        return f"{self._help}{BAND_HELP if self._band_help else ''}{CITATION}"

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def createInstance(self):  # noqa: N802 - QGIS API
        return type(self)()

    def checkParameterValues(self, parameters, context):  # noqa: N802 - QGIS API
        """QGIS's checks, then: no output may be one of the input files."""
        from .layers import overwritten_input

        ok, message = super().checkParameterValues(parameters, context)
        if ok:
            message = overwritten_input(self, parameters, context)
            ok = message is None
        return ok, message or ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        """Check dependencies, run ``compute()``, turn pipeline errors into clear messages."""
        missing = deps.missing()
        if missing:
            raise QgsProcessingException(deps.missing_message(missing))
        start = time.perf_counter()
        try:
            results = self.compute(parameters, context, feedback)
        except InputError as err:
            raise QgsProcessingException(str(err)) from err
        except Cancelled as err:
            # An exception, not empty results: batch runs and scripts must not count it done.
            raise QgsProcessingException("Cancelled: no output was written.") from err
        feedback.pushInfo(f"{self.displayName()} finished in {time.perf_counter() - start:.1f} s")
        return results

    def compute(self, parameters, context, feedback) -> dict:
        raise NotImplementedError


def progress_callbacks(feedback):
    """The core's (progress, cancelled) callables for a QgsProcessingFeedback."""
    return (lambda fraction: feedback.setProgress(100.0 * fraction)), feedback.isCanceled


def feedback_log(feedback):
    """The core's log callable (``core.jobs.Log``) for a QgsProcessingFeedback."""

    def log(kind: str, text: str) -> None:
        (feedback.pushWarning if kind == "warning" else feedback.pushInfo)(text)

    return log
