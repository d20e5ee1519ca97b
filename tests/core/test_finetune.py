"""Fine-tuning (issue 22): weights read back from the ONNX file, a real fine-tune on a tiny
budget through the one core entry point, and every bad input of the issue."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import ogr

from calfin_qgis.core.errors import Cancelled, InputError
from tests.conftest import ROOT, SAMPLE_FRONT, SAMPLE_SCENE

torch = pytest.importorskip("torch", reason="fine-tuning needs PyTorch (optional)")
pytest.importorskip("onnx", reason="fine-tuning needs onnx (optional)")

from calfin_qgis.core.finetune import fronts, runner, weights  # noqa: E402

IMAGE_ID = "LE07_L1TP_009011_20010707_20170204_01_T1_B2"


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scenes")
    shutil.copy(SAMPLE_SCENE, folder / SAMPLE_SCENE.name)
    return folder


@pytest.fixture(scope="module")
def tuned(tmp_path_factory, scenes, model_path) -> tuple[runner.FineTuneResult, str]:
    """A real fine-tune of the bundled model on the sample scene's manual front, ~3 s."""
    before = digest(model_path)
    out = tmp_path_factory.mktemp("tuned") / "mine.onnx"
    seen = []
    result = runner.fine_tune(SAMPLE_FRONT, scenes, out, minutes=0.05, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    return result, before


def test_members_read_back_from_onnx_match_onnxruntime(model_path) -> None:
    """Fused Conv weights mapped through their node names, BatchNorm as identity: 1e-6."""
    import onnxruntime as ort

    from calfin_qgis.core.finetune.net import ProbsWrapper

    nets, meta = weights.load_members(model_path)
    assert len(nets) == 2 and meta["calfin.name"] == "calfin_unet"
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((1, 3, 256, 256), dtype=np.float32)
    (expected,) = session.run(["probs"], {"input": x})
    torch.set_num_threads(1)
    with torch.no_grad():
        got = ProbsWrapper(*nets)(torch.from_numpy(x)).numpy()
    assert np.abs(got - expected).max() < 1e-6


def test_fine_tune_writes_a_calfin_model_and_card(tuned, model_path, tmp_path) -> None:
    import onnx

    from calfin_qgis.core.detect.jobs import DetectJob, run
    from calfin_qgis.core.detect.segmentation import DetectOptions

    result, before = tuned
    assert digest(model_path) == before  # the base is untouched
    assert all(steps >= 1 for steps in result.steps) and len(result.steps) == 2
    assert result.scenes_used == [IMAGE_ID] and result.held_out == []
    assert any("none can be held out" in w for w in result.warnings)
    meta = {p.key: p.value for p in onnx.load(result.output).metadata_props}
    assert meta["calfin.name"] == "calfin_unet-tuned"
    assert meta["calfin.base_name"] == "calfin_unet" and meta["calfin.base_version"] == "1.1.0"
    assert meta["calfin.finetune.fronts"] == "1"
    assert meta["calfin.finetune.glaciers"] == "jakobshavn_isbrae"
    assert meta["calfin.finetune.dates"] == "2001-07-07"
    assert meta["calfin.finetune.steps"] == ",".join(map(str, result.steps))
    assert meta["calfin.preprocess_version"] == "1" and meta["calfin.canonical_flow"] == "up"
    card = Path(result.card).read_text()
    assert Path(result.card) == Path(result.output).with_suffix(".md")
    assert "calfin_unet 1.1.0" in card and "2001-07-07" in card
    # the base's two members averaged with the two tuned ones (runner.WITH_BASE), which moved
    assert meta["calfin.finetune.members"] == "2 tuned + 2 base, averaged"
    base_nets, _ = weights.load_members(model_path)
    written, _ = weights.load_members(result.output)
    assert len(written) == 4
    from calfin_qgis.core.network.model import load_model

    assert load_model(result.output, "cpu")[0].info.members == 4  # the uncertainty's members

    def moved(a, b) -> float:
        pairs = zip(a.parameters(), b.parameters(), strict=True)
        return max(float((p - q).detach().abs().max()) for p, q in pairs)

    assert moved(base_nets[0], written[0]) < 1e-6 and moved(base_nets[1], written[1]) < 1e-6
    assert moved(base_nets[0], written[2]) > 0 and moved(base_nets[1], written[3]) > 0
    # the model runs through the pipeline and the fronts name it
    scene = Path(tmp_path / SAMPLE_SCENE.name)
    shutil.copy(SAMPLE_SCENE, scene)
    job = DetectJob(str(scene), DetectOptions(flow="up"), model=result.output)
    records = run(job).records
    assert records and all(r["source"].startswith("calfin_unet-tuned 1.1.0+") for r in records)


def test_cancel_leaves_nothing_behind(scenes, tmp_path, model_path) -> None:
    before = digest(model_path)
    out = tmp_path / "cancelled.onnx"
    with pytest.raises(Cancelled):
        runner.fine_tune(SAMPLE_FRONT, scenes, out, minutes=0.05, cancelled=lambda: True)
    assert list(tmp_path.iterdir()) == []
    assert digest(model_path) == before


def test_refuses_to_overwrite_the_bundled_model(scenes, model_path) -> None:
    with pytest.raises(InputError, match="bundled model"):
        runner.fine_tune(SAMPLE_FRONT, scenes, model_path, minutes=0.05, overwrite=True)


def test_base_that_is_not_a_calfin_model(scenes, tmp_path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["probs"])],
        "other",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 3, 16, 16])],
    )
    other = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), str(other))
    with pytest.raises(InputError, match="not a calfin model"):
        runner.fine_tune(SAMPLE_FRONT, scenes, tmp_path / "out.onnx", 0.05, base=other)


def copy_fronts(tmp_path: Path, image_id: str | None = None, shift: float = 0.0) -> Path:
    """The sample front with another image_id and/or moved east by ``shift`` metres."""
    path = tmp_path / "fronts.gpkg"
    ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(str(SAMPLE_FRONT)), str(path))
    ds = ogr.Open(str(path), 1)
    layer = ds.GetLayer(0)
    feature = layer.GetNextFeature()
    if image_id:
        feature.SetField("image_id", image_id)
    geometry = feature.GetGeometryRef()
    for i in range(geometry.GetPointCount()):
        x, y = geometry.GetPoint_2D(i)
        geometry.SetPoint_2D(i, x + shift, y)
    layer.SetFeature(feature)
    ds = None
    return path


def test_fronts_without_their_scene_are_listed(scenes, tmp_path) -> None:
    path = copy_fronts(tmp_path, image_id="LC08_L1TP_009011_20200707_20200720_02_T1")
    with pytest.raises(InputError, match="LC08_L1TP_009011_20200707_20200720_02_T1"):
        runner.fine_tune(path, scenes, tmp_path / "out.onnx", minutes=0.05)


def test_fronts_outside_their_scene(scenes, tmp_path) -> None:
    path = copy_fronts(tmp_path, shift=1e6)
    with pytest.raises(InputError, match="outside their scene"):
        runner.fine_tune(path, scenes, tmp_path / "out.onnx", minutes=0.05)
    assert not (tmp_path / "out.onnx").exists()


def test_without_pytorch_the_message_says_what_to_install(monkeypatch, scenes, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(InputError, match="pip install"):
        runner.fine_tune(SAMPLE_FRONT, scenes, tmp_path / "out.onnx", minutes=0.05)


def test_without_pytorch_nothing_else_breaks(tmp_path, sample_scene) -> None:
    """PyTorch and onnx made unimportable: detect works, finetune says what to install."""
    block = "import sys; sys.modules['torch'] = None; sys.modules['onnx'] = None; "
    cli = "from calfin_qgis.core.cli.commands import main; sys.exit(main(sys.argv[1:]))"

    def calfin(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", block + cli, *args]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    detect = calfin("detect", str(sample_scene), str(tmp_path / "f.gpkg"), "--flow", "up")
    assert detect.returncode == 0, detect.stderr
    tune = calfin("finetune", str(SAMPLE_FRONT), "--scenes", str(tmp_path), "--output", "x.onnx")
    assert tune.returncode == 2
    assert "needs torch and onnx" in tune.stderr and "pip install" in tune.stderr


def test_trusted_fronts_and_held_out_split() -> None:
    from shapely.geometry import LineString

    line = LineString([(0, 0), (1, 1)])
    names = ["image_id", "status", "qual_flag"]
    rows = [
        ({"image_id": "A", "status": "accepted", "qual_flag": 10}, line),
        ({"image_id": "B", "status": "rejected", "qual_flag": 0}, line),
        ({"image_id": "C", "status": "unreviewed", "qual_flag": 10}, line),
        ({"image_id": "D", "status": "unreviewed", "qual_flag": 3}, line),
    ]
    assert sorted(fronts.group_fronts(rows, names, "layer")) == ["A", "D"]
    assert sorted(fronts.group_fronts(rows[2:3], ["image_id"], "layer")) == ["C"]
    with pytest.raises(InputError, match="no image_id field"):
        fronts.group_fronts(rows, ["status"], "layer")
    ids = [f"LE07_L1TP_009011_2000{m:02d}01_X" for m in range(1, 6)]
    train, held = runner.split_held_out(ids)
    assert held == [ids[2]] and len(train) == 4
    assert runner.split_held_out(ids[:3]) == (ids[:3], [])
