"""The plugin loads in a real QgsApplication, registers provider calfin and unloads cleanly."""

from __future__ import annotations

from qgis.core import QgsApplication

EXPECTED = {"preprocess", "segment", "extract_fronts", "detect_fronts", "evaluate_fronts"}


def test_class_factory_registers_and_unload_removes_provider(qgis_app, qgis_iface) -> None:
    import calfin_qgis

    registry = QgsApplication.processingRegistry()
    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    try:
        provider = registry.providerById("calfin")
        assert provider is not None
        assert provider.name() == "CALFIN calving fronts"
        assert not provider.icon().isNull()
        assert {alg.name() for alg in provider.algorithms()} == EXPECTED
        for alg in provider.algorithms():
            assert "Cheng" in alg.shortHelpString()
            assert alg.group() == "Calving fronts"
    finally:
        instance.unload()
    assert registry.providerById("calfin") is None
    assert instance.provider is None


def test_every_algorithm_has_input_and_output(plugin) -> None:
    for alg in QgsApplication.processingRegistry().providerById("calfin").algorithms():
        names = {p.name() for p in alg.parameterDefinitions()}
        assert {"INPUT", "OUTPUT"} <= names, alg.id()
        if alg.name() in {"preprocess", "segment", "detect_fronts"}:
            assert "BAND" in names
