"""`make package` builds an installable zip: calfin_qgis/ on top, no tests or training code."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_package_zip_layout(tmp_path: Path) -> None:
    target = tmp_path / "calfin_qgis.zip"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "package.py"), str(target)], check=True)
    names = zipfile.ZipFile(target).namelist()
    assert {n.split("/")[0] for n in names} == {"calfin_qgis"}
    assert "calfin_qgis/metadata.txt" in names
    assert "calfin_qgis/model/calfin_unet.onnx" in names
    assert "calfin_qgis/processing/provider.py" in names
    assert not [n for n in names if "__pycache__" in n or "/tests/" in n or n.endswith(".pt")]
    assert not [n for n in names if n.startswith("calfin_qgis/model/") and n.endswith(".py")]
    meta = configparser.ConfigParser()
    meta.read_string(zipfile.ZipFile(target).read("calfin_qgis/metadata.txt").decode())
    general = meta["general"]
    for key in (
        "name",
        "description",
        "about",
        "version",
        "author",
        "email",
        "repository",
        "tracker",
        "homepage",
        "tags",
        "changelog",
        "experimental",
    ):
        assert general.get(key), key
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["qgisMaximumVersion"] == "3.99"
    assert general["hasProcessingProvider"] == "yes"
