"""The fine-tune's held-out verdict: worse is flagged, a difference within noise is not, and
fronts where the base found none are said to need checking, never called better."""

from __future__ import annotations

import pytest

from calfin_qgis.core.finetune.card import FineTuneResult, card_text, report_lines


def result(base, tuned, base_nf=0, tuned_nf=0, held=("LE07_L1TP_008011_20000814",)):
    return FineTuneResult(
        "m.onnx", "m.md", ["a"], list(held), [10, 10], 10.0, base, tuned, base_nf, tuned_nf
    )


@pytest.mark.parametrize(
    ("args", "verdict", "worse"),
    [
        ((3.33, 3.34), "the same as the base", False),
        ((3.33, 2.95), "better: 11 % closer", False),
        ((3.33, 4.00), "worse: 20 % further off", True),
        ((3.33, 3.00, 0, 1), "worse: it finds no front", True),
        ((3.33, None, 0, 1), "worse: it finds no front", True),
        ((None, 16.1, 1, 0), "not comparable: the base found no front", False),
        ((5.0, 6.0, 2, 1), "mixed: fronts on more held-out scenes", False),
        ((5.0, 5.1, 2, 1), "better: fronts on more held-out scenes", False),
    ],
)
def test_verdict(args, verdict, worse):
    r = result(*args)
    assert r.verdict.startswith(verdict) and r.worse is worse


def test_nothing_held_out_is_said():
    assert result(None, None, held=()).verdict.startswith("not checked")


def test_the_card_and_the_report_say_the_verdict():
    r = result(3.33, 4.0)
    meta = {
        "calfin.name": "calfin_unet-tuned",
        "calfin.version": "1.1.0+20261206",
        "calfin.base_name": "calfin_unet",
        "calfin.base_version": "1.1.0",
        "calfin.finetune.date": "2026-12-06",
        "calfin.finetune.fronts": "3",
        "calfin.finetune.glaciers": "jakobshavn",
        "calfin.finetune.dates": "2000-08-14",
        "calfin.finetune.steps": "10,10",
        "calfin.finetune.members": "2 tuned + 2 base, averaged",
    }
    assert "worse: 20 % further off" in card_text(r, meta, "base.onnx")
    assert "WORSE than the base" in card_text(r, meta, "base.onnx")
    assert any("worse: 20 %" in line for line in report_lines(r))
    assert "the same as the base" in report_lines(result(3.33, 3.34))[1]
