"""calfin:detect_fronts_batch in real headless QGIS and through qgis_process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer, QgsWkbTypes

from tests.batch_scenes import TRUNCATED, fronts
from tests.conftest import SAMPLE_SCENE
from tests.test_qgis_process import make_qgis_process

pytestmark = pytest.mark.usefixtures("plugin")


def batch_params(reference: dict, output: Path, **extra) -> dict:
    return {
        "FOLDER": str(reference["folder"]),
        "CLIP": str(reference["clip"]),
        "FLIP": False,  # the settings of batch_reference
        "OUTPUT": str(output),
        "STATUS": "TEMPORARY_OUTPUT",
        **extra,
    }


class CancelAfterFirstJob(QgsProcessingFeedback):
    """Cancels once the first job is written (progress counts jobs)."""

    def setProgress(self, progress: float) -> None:  # noqa: N802 - QGIS API
        super().setProgress(progress)
        if progress > 0:
            self.cancel()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], ids=["in QGIS", "2 worker processes"])
def test_batch_algorithm_cancel_and_resume_give_the_uninterrupted_layer(
    batch_reference, tmp_path, workers
) -> None:
    import processing

    output = tmp_path / "fronts.gpkg"
    params = batch_params(batch_reference, output, WORKERS=workers)
    feedback = CancelAfterFirstJob()
    with pytest.raises(QgsProcessingException, match="Cancelled"):  # a non-zero exit
        processing.run("calfin:detect_fronts_batch", params, feedback=feedback)
    assert feedback.isCanceled()
    first_fronts = len(fronts(output))
    assert first_fronts <= 1  # the job written before the cancel is kept

    result = processing.run("calfin:detect_fronts_batch", params)
    assert fronts(output) == fronts(batch_reference["output"])
    layer = QgsVectorLayer(f"{output}|layername=fronts")
    assert layer.crs().authid() == "EPSG:3413"
    assert layer.geometryType() == QgsWkbTypes.LineGeometry
    assert {f["glacier_id"] for f in layer.getFeatures()} == {"jakobshavn"}

    status = result["STATUS"]
    status = status if isinstance(status, QgsVectorLayer) else QgsVectorLayer(status)
    rows = {(f["image_id"], f["glacier_id"]): f["status"] for f in status.getFeatures()}
    assert len(rows) == status.featureCount() == 8  # one per scene × glacier, none repeated
    assert rows[(Path(TRUNCATED).stem, "jakobshavn")].startswith("failed: Cannot read")
    assert sorted(rows.values()).count("ok") == 3
    # the rerun's counts (results, --json) are what the cancelled run left
    assert first_fronts + result["FRONTS"] == len(fronts(output))
    # 4 skipped: no overlap; the job finished before the cancel is not redone when it was ok
    # (its front is kept), a failed one is
    assert result["JOBS"] == 8 - 4 - first_fronts


@pytest.mark.slow
def test_qgis_process_runs_the_batch(model_path, tmp_path) -> None:
    from tests.batch_scenes import glacier_polygons

    folder = tmp_path / "scenes"
    folder.mkdir()
    shutil.copy(SAMPLE_SCENE, folder / SAMPLE_SCENE.name)
    clip = glacier_polygons(tmp_path / "glaciers.gpkg")
    output, status = tmp_path / "fronts.gpkg", tmp_path / "status.csv"
    args = (
        f"run calfin:detect_fronts_batch -- FOLDER={folder} CLIP={clip} FLOW=1 "
        f"OUTPUT={output} STATUS={status}"
    )
    result = make_qgis_process(args, tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [row[:2] for row in fronts(output)] == [
        ("LE07_L1TP_009011_20010707_20170204_01_T1_B2", "jakobshavn")
    ]
    lines = status.read_text().splitlines()
    assert len(lines) == 3 and "skipped: no overlap" in status.read_text()
