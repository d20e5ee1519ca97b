"""The installed shell command ``calfin`` (``make setup`` puts it in the venv): it works from
any folder, its help reads cleanly, and ``python -m calfin_qgis.core`` is the same command."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from calfin_qgis.core.detect.options import OPTIONS
from tests.conftest import ROOT

CALFIN = Path(sys.executable).parent / "calfin"


def calfin(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``calfin args`` in ``cwd``, with no PYTHONPATH: the package must come from the install."""
    if not CALFIN.exists():
        pytest.fail(f"{CALFIN} is missing: run make setup")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(CALFIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def option_entries(help_text: str) -> dict[str, str]:
    """Each option's entry of a --help text (flag → its lines, joined)."""
    entries: dict[str, str] = {}
    flag = None
    for line in help_text.splitlines():
        start = re.match(r"  (--?[a-z-]+)", line)
        if start:
            flag = start[1]
            entries[flag] = line
        elif flag and line.startswith("    "):
            entries[flag] += " " + line.strip()
        else:
            flag = None
    return entries


@pytest.mark.parametrize("command", ["detect", "batch", "terminus"])
def test_help_reads_cleanly_from_any_folder(command, tmp_path) -> None:
    top = calfin("--help", cwd=tmp_path)
    assert top.returncode == 0, top.stderr
    assert top.stdout.startswith("usage: calfin ") and f"    {command} " in top.stdout
    done = calfin(command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith(f"usage: calfin {command} ")
    for wrong in ("default: None", "frozenset", "(default: ", "``"):
        assert wrong not in text, wrong
    for entry in option_entries(text).values():
        assert entry.count("default") <= 1, entry
    if command != "terminus":
        entries = option_entries(text)
        assert {option.flag for option in OPTIONS.values()} - {"--glacier-id"} <= set(entries)
        assert "estimated from the scene" in entries["--flow"]
        assert "(0.01-0.99, default 0.33)" in entries["--threshold"]
        assert "(0-0.99, default 0.15)" in entries["--low-threshold"]


def test_required_options_show_no_default(tmp_path) -> None:
    entries = option_entries(calfin("batch", "--help", cwd=tmp_path).stdout)
    assert "default" not in entries["--clip"] + entries["--output"]


def test_installed_command_detects_from_another_folder(model_path, sample_scene, tmp_path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = calfin("detect", str(sample_scene), "fronts.gpkg", "--no-flip", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "1 front(s) written to fronts.gpkg" in done.stdout
    assert (work / "fronts.gpkg").exists()


def test_module_form_is_the_same_command(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "calfin_qgis.core", "batch", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m calfin_qgis.core batch ")
    installed = calfin("batch", "--help", cwd=tmp_path).stdout
    assert option_entries(done.stdout) == option_entries(installed)


def test_package_version_is_the_plugin_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    metadata = configparser.ConfigParser(interpolation=None)
    metadata.read(ROOT / "metadata.txt")
    assert project["version"] == metadata["general"]["version"]
