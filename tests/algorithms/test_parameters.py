"""Parameter values as a new user types them, through processing.run in real headless QGIS."""

from __future__ import annotations

import re

import pytest
from qgis.core import QgsApplication, QgsProcessingException

from tests.algorithms.feedback import Log

TAG = re.compile(r"</?[A-Za-z]")
"""An HTML tag (a formula such as A<128 is text, not a tag)."""

pytestmark = pytest.mark.usefixtures("plugin")


def run(algorithm: str, params: dict, feedback=None) -> dict:
    import processing

    return processing.run(algorithm, params, feedback=feedback)


def calfin_algorithms():
    return QgsApplication.processingRegistry().providerById("calfin").algorithms()


@pytest.mark.parametrize(
    ("flow", "device"), [("up", "cpu"), ("Up", "CPU"), (1, 1), ("1", "1"), (1.0, "auto")]
)
def test_enums_take_names_and_indices(model_path, sample_scene, tmp_path, flow, device) -> None:
    log = Log()
    out = run(
        "calfin:segment",
        {
            "INPUT": str(sample_scene),
            "FLOW": flow,
            "DEVICE": device,
            "OUTPUT": str(tmp_path / "p.tif"),
        },
        log,
    )
    assert out["OUTPUT"]
    assert "Ice flow direction given: up" in log.info
    assert any("CPUExecutionProvider" in line for line in log.info)


def test_enum_left_out_is_its_default(model_path, sample_scene, tmp_path) -> None:
    log = Log()
    run("calfin:segment", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "p.tif")}, log)
    assert any(line.startswith("Ice flow direction estimated") for line in log.info)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "OVERLAP",
            1000000,
            "OVERLAP=1000000 is out of range: OVERLAP takes a whole number "
            "from 0 to 224 (default 64).",
        ),
        (
            "BATCH_SIZE",
            "1e9",
            "BATCH_SIZE=1e9 is out of range: BATCH_SIZE takes a whole "
            "number from 1 to 64 (default 4).",
        ),
        (
            "THRESHOLD",
            99999,
            "THRESHOLD=99999 is out of range: THRESHOLD takes a number from "
            "0.01 to 0.99 (default 0.33).",
        ),
        ("THRESHOLD", "high", "THRESHOLD=high is not a number"),
        (
            "FLOW",
            "sideways",
            "FLOW=sideways is not one of the options: FLOW takes unknown, "
            "up, down, left or right, or the option's number 0-4 (default unknown).",
        ),
        ("FLOW", 5, "FLOW=5 is out of range: FLOW takes unknown, up"),
        (
            "MIN_LENGTH",
            -1,
            "MIN_LENGTH=-1 is out of range: MIN_LENGTH takes a number of at least 0 (default 10).",
        ),
    ],
)
def test_bad_values_say_what_is_allowed(sample_scene, tmp_path, name, value, expected) -> None:
    params = {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "f.gpkg"), name: value}
    with pytest.raises(QgsProcessingException) as raised:
        run("calfin:detect_fronts", params)
    assert expected in str(raised.value)
    assert not (tmp_path / "f.gpkg").exists()


def test_help_is_plain_text_and_says_what_to_type() -> None:
    """qgis_process prints the help as it is, so no HTML; every enum and number parameter
    says what it takes (qgis_process prints that under the parameter)."""
    for alg in calfin_algorithms():
        text = alg.shortHelpString()
        assert not TAG.search(text), alg.id()
        for definition in alg.parameterDefinitions():
            if definition.type() in ("enum", "number"):
                assert definition.help().startswith("Type "), (alg.id(), definition.name())
    detect = QgsApplication.processingRegistry().algorithmById("calfin:detect_fronts")
    flow = "FLOW: unknown, up, down, left or right, or the option's number 0-4 (default unknown)"
    assert flow in detect.shortHelpString().split("\n")
    assert "up, down, left or right" in detect.parameterDefinition("FLOW").help()


def test_counts_are_in_the_results(model_path, sample_scene, tmp_path) -> None:
    """qgis_process --json shows the results: counts as well as paths."""
    out = run(
        "calfin:detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(tmp_path / "f.gpkg")}
    )
    assert (out["FRONTS"], out["SCENES"], out["NO_FRONT"]) == (1, 1, 0)
    for alg in ("calfin:detect_fronts", "calfin:extract_fronts"):
        declared = QgsApplication.processingRegistry().algorithmById(alg).outputDefinitions()
        assert {"FRONTS", "SCENES", "NO_FRONT"} <= {o.name() for o in declared}


def evaluate_front_against_itself(tmp_path, **params) -> tuple[dict, Log]:
    """The manual front scored against itself (no model needed): only the grid matters."""
    from tests.conftest import SAMPLE_FRONT

    log = Log()
    out = run(
        "calfin:evaluate_fronts",
        {
            "INPUT": str(SAMPLE_FRONT),
            "REFERENCE": str(SAMPLE_FRONT),
            "OUTPUT": str(tmp_path / "metrics.gpkg"),
            "REPORT": str(tmp_path / "report.html"),
            **params,
        },
        log,
    )
    return out, log


def test_evaluate_says_which_pixel_size_it_used(sample_scene, tmp_path) -> None:
    from osgeo import gdal
    from qgis.core import QgsVectorLayer

    out, log = evaluate_front_against_itself(tmp_path)
    default = "Pixel size 40 m (the model's grid: neither PIXEL_SIZE nor SCENE given"
    assert any(line.startswith(default) for line in log.info)
    assert "neither PIXEL_SIZE nor SCENE given" in (tmp_path / "report.html").read_text()

    out, log = evaluate_front_against_itself(tmp_path, PIXEL_SIZE=25)
    assert "Pixel size 25 m (PIXEL_SIZE)" in log.info

    scene_30m = tmp_path / "scene_30m.tif"
    gdal.Translate(str(scene_30m), str(sample_scene), xRes=30, yRes=30)
    out, log = evaluate_front_against_itself(tmp_path, SCENE=str(scene_30m))
    assert "Pixel size 30 m (from SCENE scene_30m)" in log.info
    row = next(QgsVectorLayer(out["OUTPUT"]).getFeatures())
    assert row["found"] == 1 and out["IMAGES"] == 1


def test_help_in_the_dialog_is_paragraphs_without_tags(qgis_iface, monkeypatch) -> None:
    """QGIS 3.22's own algorithm dialog shows each help line as a paragraph, no raw tags."""
    from qgis.gui import QgsBrowserGuiModel
    from qgis.PyQt.QtWidgets import QTextBrowser

    browser = QgsBrowserGuiModel()  # the dialog asks the interface for it; the stub has none
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: browser, raising=False)
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    for alg in calfin_algorithms():
        dialog = AlgorithmDialog(alg.create(), False, None)
        shown = dialog.findChild(QTextBrowser, "textShortHelp").toPlainText()
        assert shown.startswith(alg.displayName()), alg.id()
        assert not TAG.search(shown), alg.id()
        paragraphs = alg.shortHelpString().split("\n")
        assert all(p in shown for p in paragraphs), alg.id()
        dialog.deleteLater()


def test_plain_enums_take_names_too() -> None:
    """An enum made without option_parameter (indices stored) reads names the same way."""
    from qgis.core import QgsProcessingContext, QgsProcessingParameterEnum

    from calfin_qgis.processing.base import CalfinAlgorithm
    from calfin_qgis.processing.values import option_value

    class Plain(CalfinAlgorithm):
        def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
            options = ["fast", "exact"]
            self.addParameter(QgsProcessingParameterEnum("MODE", "Mode", options, defaultValue=1))

    alg = Plain()
    alg.initAlgorithm()
    context = QgsProcessingContext()
    for value in ("fast", "FAST", 0, "0"):
        assert alg.checkParameterValues({"MODE": value}, context) == (True, "")
        assert option_value(alg, {"MODE": value}, "MODE", context) == "fast"
    assert option_value(alg, {}, "MODE", context) == "exact"
    ok, message = alg.checkParameterValues({"MODE": "slow"}, context)
    assert not ok and message == (
        "MODE=slow is not one of the options: MODE takes fast or exact, or the option's "
        "number 0-1 (default exact)."
    )
