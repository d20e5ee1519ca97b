"""Shared base of the calfin algorithms: naming, grouping, help, icon, dependency check."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtGui import QIcon

from .. import deps, deps_install
from ..core import contract  # constants only
from ..core.errors import Cancelled, InputError
from ..core.products import bands
from .values import allowed_text, value_problem, values_help, with_option_names

ICON = Path(__file__).resolve().parent.parent / "icons" / "calfin.svg"

# Help texts are plain-text paragraphs, joined with newlines by ``shortHelpString``: the
# QGIS 3.22 dialog wraps each line in <p>, and `qgis_process help` prints them as they are
# (so no HTML tags, and no angle brackets).
CITATION = (
    "Method: Cheng, D., Hayes, W., Larour, E., et al. (2021), Calving Front Machine "
    "(CALFIN): glacial termini dataset and automated deep learning extraction method for "
    "Greenland, 1972-2019, The Cryosphere 15, 1663-1675. Model trained on scenes of "
    "Mohajerani et al. (2019), Remote Sensing 11(1):74."
)

BAND_HELP = (
    "Band (BAND): the bundled model was trained on Landsat green (B2 on Landsat 5/7) and "
    "panchromatic (B8) bands. Give each sensor's band as the table below says: load that "
    "band's file (BAND picks a band of a multi-band raster); the command line picks it from "
    "a product by itself. A band file inside its product (next to its MTL, inside its "
    ".SAFE) gives the fronts the product id, date, sensor, path/row and cloud cover.\n"
    + bands.band_table_text()
    + "\nCALFIN itself used near-infrared (Landsat 8/9 B5, Landsat 4-7 B4, Sentinel-2 B8), "
    "where ice and water also differ strongly; this model has not been measured on it."
)

INFERENCE_HELP = (
    "Advanced: Execution provider (DEVICE) auto uses CUDA when onnxruntime-gpu and a GPU "
    "are present, and the log names the provider that ran; Tile overlap (OVERLAP, pixels) "
    "blends neighbouring 256 px tiles without seams; Tiles per batch (BATCH_SIZE) trades "
    "memory for speed; Test-time views (VIEWS) averaged: 1 as it is, 2 (default) with a "
    "left-right mirrored pass (more accurate than 1, twice the time), 8 the four quarter "
    "turns with and without the mirror (4x the time of 2, no more accurate on the held-out "
    "glacier); the members' and views' disagreement goes into each front's uncertainty_m. "
    "The older FLIP=false still works and means VIEWS=1."
)

EXTRACTION_HELP = (
    "Extraction: Edge threshold (THRESHOLD) seeds the front; weaker pixels down to the "
    "hysteresis threshold (LOW_THRESHOLD) join it where they touch; Minimum front length "
    "(MIN_LENGTH, pixels) drops short pieces; Simplification tolerance (SIMPLIFY, pixels) "
    "thins vertices; Most front pieces (MAX_FRONTS) keeps the longest ones; pieces besides "
    "the longest are kept when the model's ice probability differs by at least "
    "MIN_CONTRAST on their two sides. Glacier id (GLACIER_ID) is written into every front; "
    "give it when the scene's name carries no date, so that time series can be sorted."
)

FLOW_HELP = (
    "Ice flow direction (FLOW, the way the ice moves in the image, towards the ocean): "
    "the model works best when the ice flows up, so the window is turned accordingly and "
    "the result turned back. Left at unknown, a window of up to "
    f"{contract.AUTO_FLOW_LIMIT / 1e6:g} Mpx is predicted "
    "once, the direction estimated from the ice/ocean probabilities, and, when the ice does "
    "not flow up, predicted again turned; give the direction when you know it (it is more "
    "reliable). A given direction that differs by more than 90 degrees from the one the "
    "prediction shows is used, with a warning in the log."
)

RESAMPLE_HELP = (
    "Resolution: the network learnt fronts at 30-50 m. A scene in a metric CRS with "
    f"pixels finer than {contract.FINE_PIXEL_FRACTION * contract.TRAIN_PIXEL_SIZE_M:g} m "
    "(a 15 m panchromatic band, 10-20 m Sentinel-2) is averaged to "
    f"{contract.TRAIN_PIXEL_SIZE_M:g} m first, and the outputs are on that grid; turn off "
    "Average pixels much finer (advanced, RESAMPLE) to keep the scene's pixels."
)


class CalfinAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set ``_name``, ``_display_name``, ``_help`` and implement the rest."""

    _name = ""
    _display_name = ""
    _group = "Calving fronts"
    _help: tuple[str, ...] = ()
    """Plain-text paragraphs, or one (no HTML: `qgis_process help` prints them as they are)."""
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
        """One paragraph a line: the 3.22 dialog makes each a <p>, qgis_process prints it."""
        band = (BAND_HELP,) if self._band_help else ()
        own = (self._help,) if isinstance(self._help, str) else self._help  # one paragraph
        paragraphs = (*own, *band, values_help(self), CITATION)
        return "\n".join(paragraph for paragraph in paragraphs if paragraph)

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def createInstance(self):  # noqa: N802 - QGIS API
        return type(self)()

    def addParameter(self, definition, create_output=True) -> bool:  # noqa: N802 - QGIS API
        """Every enum and number parameter says what to type: `qgis_process help` prints
        the help under the parameter, where 3.22 itself shows only generic examples."""
        allowed = allowed_text(definition)
        if allowed and not definition.help():
            definition.setHelp(f"Type {allowed}.")
        return super().addParameter(definition, create_output)

    def checkParameterValues(self, parameters, context):  # noqa: N802 - QGIS API
        """Enum names or indices and numeric ranges (a message that says what is allowed),
        QGIS's checks, then: no output may be one of the input files."""
        from ..adapter.layers import overwritten_input

        problem = value_problem(self, parameters, context)
        if problem:
            return False, problem
        ok, message = super().checkParameterValues(with_option_names(self, parameters), context)
        if ok:
            message = overwritten_input(self, parameters, context)
            ok = message is None
        return ok, message or ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        """Check dependencies, run ``compute()``, turn pipeline errors into clear messages."""
        start = time.perf_counter()
        try:
            missing = deps.missing()
            if missing:
                raise QgsProcessingException(deps_install.missing_message(missing))
            results = self.compute(parameters, context, feedback)
        except InputError as err:
            raise failure(str(err)) from err
        except Cancelled as err:
            # An exception, not empty results: batch runs and scripts must not count it done.
            raise failure("Cancelled: no output was written.") from err
        except QgsProcessingException as err:
            raise failure(str(err)) from err
        except Exception as err:  # noqa: BLE001 - a bug: its traceback, once
            raise failure(
                "Unexpected error (please report it with this text):\n"
                + "".join(traceback.format_exception(err)).rstrip()
            ) from err
        feedback.pushInfo(f"{self.displayName()} finished in {time.perf_counter() - start:.1f} s")
        return results

    def compute(self, parameters, context, feedback) -> dict:
        raise NotImplementedError


def failure(message: str) -> QgsProcessingException:
    """The exception that ends a failed run, reported once.

    qgis_process (3.22) prints a failed algorithm's error three times: its own ERROR line,
    and twice more because it echoes every critical message-log entry to stderr and QGIS
    logs the error twice (when it catches the exception, and when the feedback reports
    it). A failed run is the last thing qgis_process does, so there the echo is muted and
    the ERROR line stays; elsewhere (the desktop's log panel) nothing changes.
    """
    if QgsApplication.platform() == "qgis_process":
        QgsApplication.messageLog().blockSignals(True)
    return QgsProcessingException(message)


def progress_callbacks(feedback):
    """The core's (progress, cancelled) callables for a QgsProcessingFeedback."""
    return (lambda fraction: feedback.setProgress(100.0 * fraction)), feedback.isCanceled


def feedback_log(feedback):
    """The core's log callable (``core.jobs.Log``) for a QgsProcessingFeedback."""

    def log(kind: str, text: str) -> None:
        (feedback.pushWarning if kind == "warning" else feedback.pushInfo)(text)

    return log
