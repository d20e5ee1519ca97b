"""Leave-one-glacier-out protocol: a validation that can choose between training recipes.

One held-out glacier (30 scenes) cannot choose: single runs scatter by +-2.5 px on it. So
each recipe trains once per fold (Jakobshavn, Kangerlussuaq, Sverdrup held out in turn),
each fold's networks are exported to ONNX (``export.py``) and scored on their held-out
glacier through the plugin's pipeline (``scripts/evaluate.py``'s loop, ice flowing up as
in the FrontLearning subsets), and recipe B beats recipe A only if it is better on the
pooled held-out mean AND on at least two of the three folds (issue 14).

    .venv/bin/python model/folds.py sweep v1.1.0 upright --out model/checkpoints/folds
    .venv/bin/python model/folds.py sweep v1.1.0 --folds jakobshavn --train-args "--steps 4"
    .venv/bin/python model/folds.py compare OUT/v1.1.0/folds.csv OUT/upright/folds.csv

``sweep`` trains every network its recipes need (side by side up to ``--parallel``;
recipes that share a training share its networks; a network already trained is reused),
then exports, scores and tabulates each recipe (``OUT/RECIPE/folds.csv``: one row per fold
and the pool) and compares each recipe with the first. ``--all`` also trains and exports
each recipe on all three glaciers (``OUT/RECIPE/all.onnx``, a candidate to ship: it has no
held-out glacier of its own, its figures are those of its folds).
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import score_folder, write_results  # noqa: E402

from calfin_qgis.core.detect.segmentation import DetectOptions  # noqa: E402
from calfin_qgis.core.evaluation.breakdown import GLACIER_PATH_ROWS, GLACIERS  # noqa: E402
from calfin_qgis.core.evaluation.metrics import summarize  # noqa: E402
from calfin_qgis.core.network.model import load_model  # noqa: E402

DATA_DIR = ROOT.parent / "shared" / "data" / "frontlearning" / "train"

BASE = ("--batch", "16", "--variants", "12", "--ema", "0.998", "--steps", "3900")
BASE += ("--snapshots", "0.5", "--stop", "0.5")
CPU = ("--batch", "8", "--crop", "128", "--variants", "6", "--ema", "0.995", "--steps", "2500")
TRAININGS = {"base": BASE, "upright": (*BASE, "--p-upright", "0.8"), "cpu": CPU}
"""train.py options of each training, step-budgeted so that a recipe is the same on any
hardware. ``base`` is 1.1.0's: ~3,900 steps of batch 16 in its 7.5 min GPU budget, the
shipped networks are the EMA snapshots at half of it, so training stops there. ``cpu`` is
sized for 2 cores: a quarter of a base step's pixels (batch 8 of 128 px crops), 1.0.0's
variants and EMA; ``--train-args="--steps 0 --minutes 25"`` makes it time-budgeted."""


@dataclass(frozen=True)
class Recipe:
    """Which training's networks (one per seed) a model averages, and which of their states."""

    training: str
    seeds: tuple[int, ...]
    snapshot: str
    """``export.py`` snapshot suffix: "0.5" for the half-budget EMA, "" for the final one."""
    note: str


RECIPES = {
    "v1.1.0": Recipe("base", (0, 1), "0.5", "the shipped recipe: a pair of half-budget EMAs"),
    "single": Recipe("base", (0,), "0.5", "one network of the shipped recipe: half the cost"),
    "upright": Recipe("upright", (0, 1), "0.5", "80 % upright crops (the pipeline turns to up)"),
    "cpu": Recipe("cpu", (0,), "", "one network sized for 2 cores, final EMA"),
}

COLUMNS = ["fold", "images", "no_front", "mean_px", "median_px", "line_iou"]


def glacier_match(glacier: str) -> str:
    """The ``--match`` regex of a glacier's FrontLearning scenes (their WRS-2 path/rows)."""
    return "_(" + "|".join(GLACIER_PATH_ROWS[glacier]) + ")_"


def network_path(out: Path, training: str, split: str, seed: int) -> Path:
    """Checkpoint of one network: ``split`` is the held-out glacier, or "all"."""
    return out / "networks" / training / f"{split}_s{seed}.pt"


def train_all(jobs: list[tuple[Path, list[str]]], parallel: int) -> None:
    """Run the train.py commands whose checkpoint is not done yet, ``parallel`` at a time;
    each logs beside its checkpoint, and ``.done`` (holding the command) marks a finished one:
    a network is reused only if it was trained by the same command."""

    def trained(ckpt: Path, cmd: list[str]) -> bool:
        done = ckpt.with_suffix(".done")
        return done.exists() and done.read_text() == shlex.join(cmd)

    todo = [(ckpt, cmd) for ckpt, cmd in jobs if not trained(ckpt, cmd)]
    print(f"training {len(todo)} network(s) ({len(jobs) - len(todo)} already trained)")
    running: list[tuple[Path, list[str], subprocess.Popen, object]] = []
    failed = []
    while todo or running:
        while todo and len(running) < parallel:
            ckpt, cmd = todo.pop(0)
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            log = open(ckpt.with_suffix(".log"), "w")  # noqa: SIM115 (closed when it ends)
            running.append((ckpt, cmd, subprocess.Popen(cmd, stdout=log, stderr=log), log))
        time.sleep(1)
        for item in [r for r in running if r[2].poll() is not None]:
            ckpt, cmd, proc, log = item
            log.close()
            running.remove(item)
            lines = ckpt.with_suffix(".log").read_text().splitlines()
            done = [line for line in lines if line.startswith("done:")]
            print(f"{ckpt.parent.name}/{ckpt.name}: exit {proc.returncode}, {(done or ['-'])[0]}")
            if proc.returncode == 0:
                ckpt.with_suffix(".done").write_text(shlex.join(cmd))
            else:
                failed.append(f"{ckpt} (see {ckpt.with_suffix('.log')}: {lines[-1:]})")
    if failed:
        sys.exit("training failed: " + "; ".join(failed))


def export(recipe: Recipe, out: Path, split: str, onnx: Path, name: str) -> None:
    """The recipe's networks of one split (averaged, ``export.py``) as one ONNX model."""
    import export as exporter  # torch: only where networks are exported

    onnx.parent.mkdir(parents=True, exist_ok=True)
    paths = [network_path(out, recipe.training, split, seed) for seed in recipe.seeds]
    specs = [f"{p}#{recipe.snapshot}" if recipe.snapshot else str(p) for p in paths]
    exporter.main(["--checkpoint", *specs, "--out", str(onnx), "--version", f"candidate-{name}"])


def score_fold(onnx: Path, data: Path, folder: Path, glacier: str, threads: int | None):
    """One fold's model scored on its held-out glacier; metrics.csv and breakdown.csv in
    ``folder``. A top-level function: ``--score-workers`` runs folds in separate processes."""
    model, _ = load_model(onnx, threads=threads)
    print(f"== {onnx.parent.name}: {glacier} held out ({onnx})", flush=True)
    options = DetectOptions(flow="up")
    scores = score_folder(model, data, folder, options, glacier_match(glacier))
    write_results(folder, scores)
    return scores


def tabulate(folder: Path, scores_by_fold: dict[str, list]) -> list[dict]:
    """Each fold's and the pooled figures (all folds' distances pooled), into folds.csv."""
    pooled = [s for scores in scores_by_fold.values() for s in scores]
    rows = []
    for fold, scores in [*scores_by_fold.items(), ("POOLED", pooled)]:
        summary = summarize(scores)
        values = (summary.mean_px, summary.median_px, summary.line_iou)
        row = [fold, summary.n_images, summary.n_no_front, *(f"{v:.3f}" for v in values)]
        rows.append(dict(zip(COLUMNS, map(str, row), strict=True)))
    with open(folder / "folds.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def score_all(args: argparse.Namespace) -> dict[str, list[dict]]:
    """Export every recipe's fold (and all-glacier) models, score the folds (in
    ``--score-workers`` processes) and tabulate each recipe."""
    out: Path = args.out
    tasks = {}
    for name in args.recipes:
        for split in [*args.folds, *(["all"] if args.all else [])]:
            onnx = out / name / f"{split}.onnx"
            export(RECIPES[name], out, split, onnx, name)
            if split != "all":
                tasks[name, split] = (onnx, args.data, out / name / split, split)
    if args.score_workers > 1:
        threads = max(1, (os.cpu_count() or 1) // args.score_workers)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.score_workers, mp_context=spawn) as pool:
            futures = {key: pool.submit(score_fold, *task, threads) for key, task in tasks.items()}
            scores = {key: future.result() for key, future in futures.items()}
    else:
        scores = {key: score_fold(*task, None) for key, task in tasks.items()}
    return {
        name: tabulate(out / name, {g: scores[name, g] for g in args.folds})
        for name in args.recipes
    }


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def table(name: str, rows: list[dict]) -> str:
    lines = [f"recipe {name}: {RECIPES[name].note if name in RECIPES else ''}"]
    lines.append(f"  {'held out':15}{'images':>7}{'no front':>9}{'mean px':>9}{'median px':>10}")
    for r in rows:
        lines.append(
            f"  {r['fold']:15}{r['images']:>7}{r['no_front']:>9}{r['mean_px']:>9}"
            f"{r['median_px']:>10}"
        )
    return "\n".join(lines)


def _mean(row: dict) -> float:
    value = float(row["mean_px"])
    return math.inf if math.isnan(value) else value  # a fold without any front is the worst


def compare(a: list[dict], b: list[dict]) -> tuple[bool | None, str]:
    """Does B beat A? Better pooled mean AND better mean on at least two of the three folds;
    None (undecided) unless both hold all three folds."""
    folds_a = {r["fold"]: r for r in a if r["fold"] != "POOLED"}
    folds_b = {r["fold"]: r for r in b if r["fold"] != "POOLED"}
    if set(folds_a) != set(GLACIERS) or set(folds_b) != set(GLACIERS):
        held = sorted(set(folds_a) & set(folds_b))
        return None, f"undecided: the rule needs all three folds, both hold only {held}"
    won = [g for g in GLACIERS if _mean(folds_b[g]) < _mean(folds_a[g])]
    pooled_a, pooled_b = (_mean(r[-1]) for r in (a, b))
    better = pooled_b < pooled_a and len(won) >= 2
    return better, (
        f"pooled mean {pooled_b:.3f} vs {pooled_a:.3f} px, better on {len(won)} of 3 folds "
        f"({', '.join(won) or 'none'})"
    )


def verdict(name_a: str, a: list[dict], name_b: str, b: list[dict]) -> str:
    better, why = compare(a, b)
    word = {True: "BEATS", False: "does not beat", None: "cannot yet be judged against"}[better]
    return f"VERDICT {name_b} {word} {name_a}: {why}"


def sweep(args: argparse.Namespace) -> None:
    out: Path = args.out
    extra = shlex.split(args.train_args)
    splits = [*args.folds, *(["all"] if args.all else [])]
    jobs = {}
    for name in args.recipes:
        recipe = RECIPES[name]
        for split in splits:
            for seed in recipe.seeds:
                ckpt = network_path(out, recipe.training, split, seed)
                held_out = "none" if split == "all" else split
                jobs[ckpt] = [
                    sys.executable,
                    str(HERE / "train.py"),
                    *TRAININGS[recipe.training],
                    *("--val-glacier", held_out, "--seed", str(seed), "--out", str(ckpt)),
                    *("--data", str(args.data), "--threads", str(args.threads)),
                    *("--val-every", "0", "--save-every", "60", "--half"),
                    *(["--device", args.device] if args.device else []),
                    *extra,
                ]
    t0 = time.time()
    train_all(list(jobs.items()), args.parallel)
    print(f"trained in {(time.time() - t0) / 60:.1f} min")
    results = score_all(args)
    print(f"\n== leave-one-glacier-out figures (pipeline, FLOW=up), {time.time() - t0:.0f} s")
    for name, rows in results.items():
        print(table(name, rows))
    first = args.recipes[0]
    for name in args.recipes[1:]:
        print(verdict(first, results[first], name, results[name]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("sweep", help="train, export, score and compare recipes")
    run.add_argument(
        "recipes", nargs="+", choices=sorted(RECIPES), help="the first is the baseline"
    )
    run.add_argument("--out", type=Path, default=HERE / "checkpoints" / "folds")
    run.add_argument("--data", type=Path, default=DATA_DIR, help="FrontLearning train folder")
    run.add_argument("--folds", nargs="+", default=list(GLACIERS), choices=GLACIERS)
    run.add_argument("--all", action="store_true", help="also train on all glaciers")
    run.add_argument("--parallel", type=int, default=1, help="trainings side by side")
    run.add_argument("--threads", type=int, default=2, help="torch threads per training")
    run.add_argument("--score-workers", type=int, default=1, help="folds scored side by side")
    run.add_argument("--device", default="", help="train.py --device (default: cuda if any)")
    run.add_argument("--train-args", default="", help='more train.py options, e.g. "--steps 4"')
    pair = commands.add_parser("compare", help="does recipe B beat recipe A (folds.csv files)")
    pair.add_argument("a", type=Path, help="folds.csv of the baseline")
    pair.add_argument("b", type=Path, help="folds.csv of the candidate")
    args = parser.parse_args(argv)
    if args.command == "sweep":
        sweep(args)
    else:
        a, b = read_rows(args.a), read_rows(args.b)
        print(table(args.a.parent.name, a), table(args.b.parent.name, b), sep="\n")
        print(verdict(args.a.parent.name, a, args.b.parent.name, b))


if __name__ == "__main__":
    main()
