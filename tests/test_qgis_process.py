"""qgis_process (the shell interface) sees provider calfin through `make qgis_process`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
