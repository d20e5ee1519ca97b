"""Expose the ensemble's members: add an output ``members`` to a calfin ONNX graph.

The shipped graph averages its networks' sigmoid probabilities inside (``unet.ProbsWrapper``:
Concat of the members, then ReduceMean into ``probs``). Their disagreement is a measure of
how far to trust a front (``calfin_qgis.core.detect.uncertainty``), so the stacked members,
(members, N, 2, H, W), become a second output ``members``: the same weights, the same
``probs``, no extra computation. ``export.py`` calls this on every export; for a file
exported before:

    .venv/bin/python model/members.py model/calfin_unet.onnx model/validation/*.onnx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calfin_qgis.core.finetune.graph import MEMBERS, add_members_output  # noqa: E402

__all__ = ["MEMBERS", "add_members_output", "check"]


def check(path: Path) -> None:
    """The members' mean must be ``probs`` (onnxruntime, random input)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((2, 3, 64, 96), dtype=np.float32)
    probs, members = session.run(["probs", MEMBERS], {"input": x})
    diff = float(np.abs(members.mean(axis=0) - probs).max())
    if diff >= 1e-6:
        raise SystemExit(f"{path}: mean of members differs from probs by {diff:.2e}")
    print(f"{path}: {len(members)} members exposed; their mean matches probs ({diff:.1e})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("models", nargs="+", type=Path)
    for path in parser.parse_args(argv).models:
        proto = onnx.load(str(path))
        add_members_output(proto)
        onnx.checker.check_model(proto)
        onnx.save(proto, str(path))
        check(path)


if __name__ == "__main__":
    sys.exit(main())
