"""The dock finds the scene of a front detected on a product (image_id = the product id)."""

from __future__ import annotations

from qgis.core import QgsProject, QgsRasterLayer

from calfin_qgis.adapter.scenes import SceneFinder
from tests import products as made


def test_scenes_folder_maps_product_ids_to_the_band_used(qgis_app, tmp_path) -> None:
    folder = made.landsat_folder(tmp_path / "scenes", made.C1_ETM, {2: 40.0, 8: 20.0})
    made.sentinel2_safe(tmp_path / "scenes")
    finder = SceneFinder(tmp_path / "scenes")
    assert finder.path_for(made.C1_ETM) == folder / f"{made.C1_ETM}_B2.TIF"  # ETM+: green B2
    assert finder.path_for(made.S2_L1C).name == "T22WEV_20200815T151911_B03.jp2"
    assert finder.path_for(f"{made.C1_ETM}_B8") == folder / f"{made.C1_ETM}_B8.TIF"  # by name


def test_loaded_band_of_a_product_answers_to_the_product_id(qgis_app, tmp_path) -> None:
    folder = made.landsat_folder(tmp_path, made.C2_OLI)
    layer = QgsRasterLayer(str(folder / f"{made.C2_OLI}_B8.TIF"), "pan")
    QgsProject.instance().addMapLayer(layer)
    try:
        assert SceneFinder().layer_for(made.C2_OLI) is layer
        assert SceneFinder().layer_for("LC08_L1TP_008011_20210815_20210919_02_T1") is None
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
