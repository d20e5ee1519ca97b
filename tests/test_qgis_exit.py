"""What QGIS 3.22 leaks from a failed Python algorithm is released before QGIS exits
(tests/qgis_exit.py; the session fixture no_layer_outlives_qgis runs it)."""

from __future__ import annotations

import shutil
import weakref
from pathlib import Path

import pytest
from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

from tests.conftest import SAMPLE_FRONT
from tests.qgis_exit import python_owned_layers, release_leaked_processing_frames


class Fails(QgsProcessingAlgorithm):
    def name(self) -> str:
        return "fails"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        return "Fails"

    def createInstance(self):  # noqa: N802 - QGIS API
        return Fails()

    def initAlgorithm(self, config=None) -> None:  # noqa: N802 - QGIS API
        pass

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        raise QgsProcessingException("fails on purpose")


def run_failing_beside_a_layer(path: Path) -> weakref.ref:
    """A Python-owned OGR layer in the locals of a caller whose algorithm fails."""
    layer = QgsVectorLayer(str(path), "front", "ogr")
    assert layer.isValid()
    with pytest.raises(QgsProcessingException, match="fails on purpose"):
        Fails().run({}, QgsProcessingContext(), QgsProcessingFeedback(), {}, False)
    return weakref.ref(layer)


def test_a_failed_python_algorithm_keeps_its_callers_layer_until_released(
    qgis_app, tmp_path
) -> None:
    layer = run_failing_beside_a_layer(Path(shutil.copy(SAMPLE_FRONT, tmp_path / "f.gpkg")))
    assert layer() is not None, "QGIS no longer leaks the exception: tests/qgis_exit.py can go"
    assert layer() in python_owned_layers()

    assert release_leaked_processing_frames() > 0
    assert layer() is None
