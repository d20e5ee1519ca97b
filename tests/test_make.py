"""`make help` lists every target of the Makefile with its one line."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT


def test_make_help_lists_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z_-]+):(?!=)", makefile, re.MULTILINE)
    described = dict(re.findall(r"^## ([a-z_-]+): (.+)$", makefile, re.MULTILINE))
    assert {"setup", "test", "test-fast", "bench", "help"} <= set(targets)
    assert not set(targets) - set(described), "targets without a '## name: what' line"
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines = dict(line.split(None, 1) for line in shown.strip().splitlines())
    assert {name: text.strip() for name, text in lines.items()} == described
