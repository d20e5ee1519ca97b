"""``make bench`` keeps working: its quick variant (the shipped sample scene once) runs and
prints its figures. Timings are printed, never asserted."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_bench_quick_prints_its_figures(model_path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for figure in ("pipeline", "bare ORT loop", "Mpx/s", "ratio pipeline / bare", "peak RSS"):
        assert figure in out, f"{figure!r} missing from:\n{out}"
    assert "stages (s):" in out and all(f"{stage} " in out for stage in ("infer", "extract"))
    assert "1 front(s)" in out  # the sample scene's front, found through the whole pipeline
