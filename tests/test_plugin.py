"""The plugin loads in a real QgsApplication, registers provider calfin and unloads cleanly."""

from __future__ import annotations

from qgis.core import QgsApplication

EXPECTED = {
    "preprocess",
    "segment",
    "extract_fronts",
    "detect_fronts",
    "detect_fronts_batch",
    "evaluate_fronts",
    "terminus_change",
    "export_fronts",
    "screen_fronts",
    "fine_tune_model",
    "suggest_corrections",
}
SCENE_BAND = {"preprocess", "segment", "detect_fronts", "detect_fronts_batch"}
"""The algorithms whose user picks a scene band."""


def test_class_factory_registers_and_unload_removes_provider(plugin) -> None:
    """The session's plugin (loaded through classFactory) unloads cleanly and loads again."""
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("calfin")
    assert provider is not None
    assert provider.name() == "CALFIN calving fronts"
    assert not provider.icon().isNull()
    assert {alg.name() for alg in provider.algorithms()} == EXPECTED
    for alg in provider.algorithms():
        assert "Cheng" in alg.shortHelpString()
        assert alg.group() == "Calving fronts"
        # band advice only where the user picks a scene band
        scene_band = alg.name() in SCENE_BAND
        assert ("Band (BAND)" in alg.shortHelpString()) == scene_band, alg.name()
    detect = registry.algorithmById("calfin:detect_fronts").shortHelpString()
    assert all(name in detect for name in ("LOW_THRESHOLD", "MIN_CONTRAST", "DEVICE", "FLIP"))
    plugin.unload()
    try:
        assert registry.providerById("calfin") is None
        assert plugin.provider is None
    finally:
        plugin.initGui()
    assert registry.providerById("calfin") is not None


def test_every_algorithm_has_input_and_output(plugin) -> None:
    for alg in QgsApplication.processingRegistry().providerById("calfin").algorithms():
        names = {p.name() for p in alg.parameterDefinitions()}
        # fine_tune_model's main input is FRONTS (issue 22 names it)
        assert "OUTPUT" in names and names & {"INPUT", "FOLDER", "FRONTS"}, alg.id()
        if alg.name() in SCENE_BAND:
            assert "BAND" in names


def test_load_warns_about_a_corrupt_model(qgis_iface, tmp_path, monkeypatch) -> None:
    from qgis.core import Qgis

    import calfin_qgis

    bad = tmp_path / "calfin_unet.onnx"
    bad.write_bytes(b"not an onnx file")
    monkeypatch.setenv("CALFIN_MODEL", str(bad))
    qgis_iface.messageBar().clear_messages()
    instance = calfin_qgis.classFactory(qgis_iface)
    try:
        instance.initGui()
        (message,) = qgis_iface.messageBar().get_messages(Qgis.Critical)
        assert "not a valid ONNX file" in message and "Reinstall the plugin" in message
    finally:
        instance.unload()


def test_load_with_the_shipped_model_says_nothing(plugin) -> None:
    assert plugin.check_model() is None


def test_load_time_check_catches_a_wrong_contract(tmp_path) -> None:
    """The cheap check (no graph optimization) still reads the contract, not just the file."""
    from calfin_qgis.core.network.model import model_problem
    from tests.scenes import WRONG_SHAPE_ONNX, write_model

    problem = model_problem(write_model(tmp_path / "model.onnx", WRONG_SHAPE_ONNX))
    assert problem is not None and "(batch, 3, height, width)" in problem
