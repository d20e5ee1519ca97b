"""qgis_process (the shell interface) sees provider calfin through `make qgis_process`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # each test starts qgis_process


def make_qgis_process(args: str, home: Path) -> subprocess.CompletedProcess:
    """Run the Makefile target with a private HOME, to see that it leaves the profiles alone."""
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "qgis_process", f"ARGS={args}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_make_qgis_process_lists_calfin(tmp_path: Path) -> None:
    result = make_qgis_process("list", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "CALFIN calving fronts" in result.stdout
    assert "calfin:detect_fronts" in result.stdout
    assert not (tmp_path / ".local" / "share" / "QGIS").exists()  # no user profile touched


def test_make_qgis_process_passes_exit_status(tmp_path: Path) -> None:
    result = make_qgis_process("run calfin:no_such_algorithm", tmp_path)
    assert result.returncode != 0


def test_qgis_process_takes_option_names_and_reports_once(model_path, sample_scene, tmp_path):
    """What a new user types: FLOW=up, DEVICE=cpu; counts in --json; an error printed once."""
    out = tmp_path / "fronts.gpkg"
    args = (
        f"run calfin:detect_fronts --json -- INPUT={sample_scene} FLOW=up DEVICE=cpu OUTPUT={out}"
    )
    result = make_qgis_process(args, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["inputs"]["FLOW"] == "up"
    assert "Ice flow direction given: up" in report["log"]["info"]
    results = report["results"]
    assert (results["FRONTS"], results["SCENES"], results["NO_FRONT"]) == (1, 1, 0)
    assert results["OUTPUT"] == str(out)

    args = f"run calfin:detect_fronts -- INPUT={sample_scene} BAND=5 OUTPUT={tmp_path / 'x.gpkg'}"
    result = make_qgis_process(args, tmp_path)
    assert result.returncode != 0
    message = "Band 5 does not exist"
    assert (result.stdout + result.stderr).count(message) == 1, result.stderr
    assert f"ERROR:\t{message}" in result.stderr
