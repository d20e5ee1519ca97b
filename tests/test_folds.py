"""The leave-one-glacier-out protocol's rule and fold selection (model/folds.py).

Training is not run here (PyTorch is a training-only dependency); the whole chain is
smoke-tested with ``model/train_gpu.sh ... -- --folds jakobshavn --train-args="--steps 4"``.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from tests.conftest import ROOT

TRAIN = ROOT.parent / "shared" / "data" / "frontlearning" / "train"

_spec = importlib.util.spec_from_file_location("folds", ROOT / "model" / "folds.py")
folds = sys.modules["folds"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(folds)


def rows(jakobshavn: float, kangerlussuaq: float, sverdrup: float, pooled: float) -> list[dict]:
    means = zip(
        [*folds.GLACIERS, "POOLED"], [jakobshavn, kangerlussuaq, sverdrup, pooled], strict=True
    )
    return [{"fold": fold, "mean_px": f"{mean:.3f}"} for fold, mean in means]


BASE = rows(6.5, 3.0, 2.5, 3.6)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (rows(6.0, 2.9, 2.6, 3.4), True),  # pooled and two folds
        (rows(6.0, 3.1, 2.6, 3.5), False),  # pooled better, one fold only
        (rows(6.4, 2.9, 2.4, 3.7), False),  # all folds better, the pool not
        (rows(float("nan"), 2.0, 2.0, 2.0), True),  # no front on a fold: that fold is lost
        (rows(6.5, 3.0, 2.5, 3.6), False),  # a tie is not better
    ],
)
def test_compare_needs_the_pool_and_two_of_three_folds(candidate, expected) -> None:
    better, why = folds.compare(BASE, candidate)
    assert better is expected
    assert why.startswith("pooled mean ")


def test_compare_is_undecided_without_all_three_folds() -> None:
    one_fold = [BASE[0], BASE[-1]]
    better, why = folds.compare(one_fold, one_fold)
    assert better is None
    assert "['jakobshavn']" in why
    assert folds.verdict("a", one_fold, "b", one_fold).startswith("VERDICT b cannot yet be judged")


@pytest.mark.skipif(not TRAIN.is_dir(), reason=f"no FrontLearning training data at {TRAIN}")
def test_each_fold_matches_its_glaciers_scenes_only() -> None:
    names = [p.name for p in (TRAIN / "images").glob("*.png")]
    counts = {
        g: sum(bool(re.search(folds.glacier_match(g), n)) for n in names) for g in folds.GLACIERS
    }
    assert counts == {"jakobshavn": 30, "kangerlussuaq": 23, "sverdrup": 70}


def test_every_recipe_names_a_training() -> None:
    assert set(r.training for r in folds.RECIPES.values()) <= set(folds.TRAININGS)
    assert list(folds.RECIPES)[0] == "v1.1.0"


def test_train_all_reuses_only_networks_trained_by_the_same_command(tmp_path, capsys) -> None:
    """Real subprocesses standing in for train.py: each logs beside its checkpoint."""
    ckpt = tmp_path / "networks" / "base" / "jakobshavn_s0.pt"
    command = [sys.executable, "-c", "print('done: 2 steps in 0.0 min, 1.00 steps/s')"]
    folds.train_all([(ckpt, command)], parallel=2)
    assert "training 1 network(s) (0 already trained)" in capsys.readouterr().out
    assert ckpt.with_suffix(".log").read_text().startswith("done: 2 steps")
    folds.train_all([(ckpt, command)], parallel=2)
    assert "training 0 network(s) (1 already trained)" in capsys.readouterr().out
    other = [*command[:-1], command[-1].replace("2 steps", "3 steps")]
    folds.train_all([(ckpt, other)], parallel=2)
    assert "training 1 network(s)" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="training failed: .*jakobshavn_s0.pt"):
        folds.train_all([(ckpt, [sys.executable, "-c", "raise SystemExit(3)"])], parallel=1)
