"""calfin:fine_tune_model through processing.run in real headless QGIS, and MODEL on the
algorithms that run the network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsVectorLayer

from tests.algorithms.feedback import Log
from tests.conftest import SAMPLE_FRONT, SAMPLE_SCENE

pytestmark = pytest.mark.usefixtures("plugin")


def test_model_parameter_on_every_algorithm_that_runs_the_network() -> None:
    registry = QgsApplication.processingRegistry()
    for name in ("segment", "detect_fronts", "detect_fronts_batch"):
        definition = registry.algorithmById(f"calfin:{name}").parameterDefinition("MODEL")
        assert definition is not None and definition.flags() & definition.FlagOptional, name
    tune = registry.algorithmById("calfin:fine_tune_model")
    names = [p.name() for p in tune.parameterDefinitions()]
    assert names == ["FRONTS", "SCENES", "BASE_MODEL", "MINUTES", "OUTPUT"]


def test_fine_tune_then_detect_with_the_tuned_model(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="fine-tuning needs PyTorch (optional)")
    import processing

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    shutil.copy(SAMPLE_SCENE, scenes / SAMPLE_SCENE.name)
    log = Log()
    params = {
        "FRONTS": str(SAMPLE_FRONT),
        "SCENES": str(scenes),
        "MINUTES": 0.05,
        "OUTPUT": str(tmp_path / "tuned.onnx"),
    }
    result = processing.run("calfin:fine_tune_model", params, feedback=log)
    assert Path(result["OUTPUT"]).is_file() and Path(result["CARD"]).is_file()
    assert any("none can be held out" in w for w in log.warnings)
    assert any("Fine-tuned model written" in line for line in log.info)
    fronts = processing.run(
        "calfin:detect_fronts",
        {
            "INPUT": str(scenes / SAMPLE_SCENE.name),
            "FLOW": "up",
            "MODEL": result["OUTPUT"],
            "OUTPUT": str(tmp_path / "fronts.gpkg"),
        },
    )
    layer = QgsVectorLayer(fronts["OUTPUT"], "fronts", "ogr")
    sources = {f["source"] for f in layer.getFeatures()}
    assert sources and all(s.startswith("calfin_unet-tuned") for s in sources)


def test_fine_tune_refuses_the_bundled_model_as_output(tmp_path: Path, model_path) -> None:
    import processing

    params = {
        "FRONTS": str(SAMPLE_FRONT),
        "SCENES": str(SAMPLE_SCENE.parent),
        "MINUTES": 0.05,
        "OUTPUT": str(model_path),
    }
    with pytest.raises(QgsProcessingException, match="bundled model"):
        processing.run("calfin:fine_tune_model", params)
