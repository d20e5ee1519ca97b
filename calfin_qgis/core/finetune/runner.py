"""Fine-tune a calfin model on trusted fronts: the one entry point of the algorithm
(``calfin:fine_tune_model``), the CLI (``finetune``) and the measurement script.

Steps: read the trusted fronts and find their scenes; make training pairs (``pairs``);
hold out a quarter of the scenes (spread by date) to score; read the base model's members
back from its ONNX file (``weights``); fine-tune each for its share of the time budget with
the replay set mixed in (``tuning``, ``replay``); write the model and its card atomically
(a cancel or a crash leaves nothing behind and the base untouched); score base and tuned
on the held-out scenes through the plugin's own pipeline.
"""

from __future__ import annotations

import copy
import datetime
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import Cancelled, InputError
from ..geo import rasters
from ..network.model import default_model_path, load_model
from . import fronts as fronts_io
from . import pairs as pair_making
from .card import FineTuneResult, card_text, output_metadata
from .replay import load_replay

Log = Callable[[str, str], None]

OWN_ITEMS = 96
"""Jittered variants of the user's scenes in all (at least 2 and at most 12 per scene)."""
REPLAY_VARIANTS = 3
WITH_BASE = True
"""Write the tuned members averaged with the base's (True) or alone (False). Measured on
Jakobshavn with the validation twin (model card, 'Teach it your glacier'): alone, the tuned
pair drew confident wrong fronts where the twin rightly found none (winter scenes) and made
two Sverdrup scenes far worse (pooled 0.58 -> 1.16 px); averaged with the base, it kept the
twin's no-front verdicts and its gain on the scenes both handle, and held the other glaciers
(0.58 -> 0.60 px, Kangerlussuaq 0.86 -> 0.95). The price: twice the inference."""


def requirement_problem() -> str | None:
    """What to install for fine-tuning, or None when PyTorch and onnx are importable."""
    import importlib.util

    missing = [name for name in ("torch", "onnx") if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"Fine-tuning needs {' and '.join(missing)}, which are not installed. Install them "
        "from Plugins > CALFIN > Install dependencies… (tick the PyTorch box), or run: "
        "python3 -m pip install --user --extra-index-url https://download.pytorch.org/whl/cpu "
        "torch onnx 'ml_dtypes<0.6'  (the CPU build, about 200 MB). Detection does not need "
        "them."
    )


def check_request(minutes: float) -> None:
    """Refuse to start without PyTorch and onnx, or without a positive time budget."""
    problem = requirement_problem()
    if problem:
        raise InputError(problem)
    if minutes <= 0:
        raise InputError(f"MINUTES is {minutes:g}: give a positive time budget (e.g. 10).")


def check_output(output: str | os.PathLike, base: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse to write over the bundled model or the base; the usual destination checks."""
    target = Path(output)
    if target.suffix.lower() != ".onnx":
        raise InputError(f"{target.name}: the model is written as ONNX. Name it .onnx.")
    for protected, what in ((default_model_path(), "the bundled model"), (base, "the base")):
        if target.exists() and Path(protected).exists() and rasters.same_file(target, protected):
            raise InputError(
                f"{target} is {what}; fine-tuning never overwrites it. Choose another name."
            )
    return rasters.check_destination(target, overwrite)


def split_held_out(keys: list[str]) -> tuple[list[str], list[str]]:
    """(train, held out): every fourth scene in date order, from the third (4 → 1, 8 → 2);
    none with fewer than four scenes."""
    ordered = sorted(keys, key=lambda k: (fronts_io.scene_date(k) or datetime.date.min, k))
    held = ordered[2::4] if len(ordered) >= 4 else []
    return [k for k in ordered if k not in held], held


def training_split(pairs: dict, warnings: list[str], log: Log) -> tuple[list[str], list[str]]:
    """``split_held_out`` of the scenes of ``pairs``; when none can be held out, a warning
    (added to ``warnings`` and logged)."""
    train_keys, held_keys = split_held_out(list(pairs))
    if not held_keys:
        warnings.append(
            f"Only {len(pairs)} scene(s) with fronts: none can be held out to score the "
            "result, so it is trained on all and not checked. Give 4 or more scenes."
        )
        log("warning", warnings[-1])
    return train_keys, held_keys


def score(model_path: str, pairs: list[pair_making.Pair]) -> tuple[float | None, int]:
    """Pooled mean distance (px) and no-front count of a model on the held-out pairs,
    through the plugin's pipeline (detection clipped to each pair's window)."""
    from ..detect.picking import extract
    from ..detect.segmentation import DetectOptions, segment
    from ..evaluation.metrics import rasterize_lines, score_image, summarize

    model, _ = load_model(model_path, "cpu")
    scores = []
    for pair in pairs:
        options = DetectOptions(clip=pair.clip)
        result = segment(model, pair.scene, options)
        lines = [front.line for front in extract(result, options, result.timer)]
        grid = pair.window.geotransform(pair.scene.geotransform)
        predicted = rasterize_lines(lines, (pair.window.height, pair.window.width), grid)
        reference = np.rot90(pair.front1, -pair.turns)
        scores.append(score_image(pair.image_id, predicted, reference))
    summary = summarize(scores)
    mean = None if np.isnan(summary.mean_px) else float(summary.mean_px)
    return mean, summary.n_no_front


def make_pairs(scene_fronts, crs_wkt: str, base, log: Log, progress) -> dict:
    """Training pairs by image id; scenes whose fronts cannot be used are reported."""
    made = {}
    for i, (key, entry) in enumerate(sorted(scene_fronts.items())):
        made[key] = pair_making.scene_pair(entry.path, entry.lines, crs_wkt, base, key)
        turned = made[key].turns
        log(
            "info",
            f"{key}: {len(entry.lines)} front(s), window {made[key].window}, "
            f"ice side from the base model: turned {turned} quarter turn(s)",
        )
        progress((i + 1) / len(scene_fronts))
    return made


def training_items(pairs_: list, exclude: tuple[str, ...]) -> tuple[list, list]:
    """(own, replay) (input, targets) items: jittered variants of the user's pairs and of
    the shipped replay scenes (without the glaciers in ``exclude``)."""
    rng = np.random.default_rng(0)
    per_scene = int(np.clip(OWN_ITEMS // max(1, len(pairs_)), 2, 12))
    own = [i for p in pairs_ for i in pair_making.variants(p.grey, p.front3, per_scene, rng)]
    replay = [
        item
        for scene in load_replay(exclude=exclude)
        for item in pair_making.variants(scene.grey, scene.front3, REPLAY_VARIANTS, rng)
    ]
    return own, replay


def found_scenes(fronts, scenes_folder, warnings: list[str], log: Log):
    """The trusted fronts (a file, or what QGIS read) whose scenes are in the folder, and
    the layer's CRS; fronts without a scene are named (an error when none has one)."""
    scene_fronts, crs = fronts if isinstance(fronts, tuple) else fronts_io.read_fronts(fronts)
    missing = fronts_io.find_scenes(scene_fronts, scenes_folder)
    if missing:
        text = (
            f"No scene found in {scenes_folder} for {len(missing)} image id(s): "
            f"{', '.join(missing)}."
        )
        if len(missing) == len(scene_fronts):
            raise InputError(f"{text} Give the folder that holds those scenes.")
        warnings.append(f"{text} Their fronts are left out.")
        log("warning", warnings[-1])
    return {k: v for k, v in scene_fronts.items() if v.path}, crs


def train_members(nets, own, replay, minutes, progress, cancelled, log, max_steps):
    """Fine-tune every member for its share of ``minutes``; steps per member."""
    from . import tuning

    steps = []
    for i, net in enumerate(nets):

        def member_progress(f: float, i: int = i) -> None:
            progress(0.1 + 0.75 * (i + f) / len(nets))

        done = tuning.tune(
            net, own, replay, minutes * 60.0 / len(nets), i, member_progress, cancelled, max_steps
        )
        steps.append(done.steps)
        log(
            "info",
            f"member {i + 1}/{len(nets)}: {done.steps} steps in {done.seconds:.0f} s, "
            f"loss {done.loss:.3f}",
        )
    return steps


def write_model(result, shipped, meta, base_path, held, cancelled) -> None:
    """Export, check and score in a hidden folder beside the output, then move the model and
    its card into place: a cancel or a crash leaves nothing behind."""
    from . import weights

    target = Path(result.output)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".calfin-finetune-") as tmp:
        staged, card = Path(tmp) / target.name, Path(tmp) / Path(result.card).name
        doc = f"{meta['calfin.base_name']} fine-tuned on {len(result.scenes_used)} scene(s)"
        weights.export(shipped, staged, meta, doc)
        difference = weights.max_difference(shipped, staged)
        if difference >= 1e-4:
            raise RuntimeError(f"the exported model differs from PyTorch by {difference:.1e}")
        if held:
            result.base_score, result.base_no_front = score(base_path, held)
            result.tuned_score, result.tuned_no_front = score(str(staged), held)
        if cancelled():
            raise Cancelled("cancelled by the user")
        card.write_text(card_text(result, meta, base_path))
        os.replace(staged, target)
        os.replace(card, result.card)


def fine_tune(
    fronts: str | os.PathLike | tuple[dict, str],
    scenes_folder: str | os.PathLike,
    output: str | os.PathLike,
    minutes: float = 10.0,
    base: str | os.PathLike | None = None,
    overwrite: bool = False,
    progress: Callable[[float], None] = lambda f: None,
    cancelled: Callable[[], bool] = lambda: False,
    log: Log = lambda kind, text: None,
    exclude_replay: tuple[str, ...] = (),
    with_base: bool = WITH_BASE,
    max_steps: int | None = None,
) -> FineTuneResult:
    """Fine-tune ``base`` (None: the bundled model) on the trusted fronts of a layer:
    ``fronts`` is its file, or (``fronts.group_fronts`` result, CRS WKT) read by QGIS.
    ``exclude_replay`` leaves glaciers out of the replay set (those the base never saw)."""
    check_request(minutes)
    base_path = str(base) if base else str(default_model_path())
    target = check_output(output, base_path, overwrite)
    warnings: list[str] = []
    scene_fronts, crs = found_scenes(fronts, scenes_folder, warnings, log)

    import torch

    from . import weights

    torch.set_num_threads(max(1, min(os.cpu_count() or 1, 4)))
    nets, meta = weights.load_members(base_path)
    base_nets = copy.deepcopy(nets)
    base_model, _ = load_model(base_path, "cpu")
    pairs = make_pairs(scene_fronts, crs, base_model, log, lambda f: progress(0.1 * f))
    train_keys, held_keys = training_split(pairs, warnings, log)
    own, replay = training_items([pairs[k] for k in train_keys], exclude_replay)
    log(
        "info",
        f"{len(own)} training variants of {len(train_keys)} scene(s), {len(replay)} "
        f"replayed; {len(held_keys)} scene(s) held out",
    )
    start = time.perf_counter()
    steps = train_members(nets, own, replay, minutes, progress, cancelled, log, max_steps)
    spent = (time.perf_counter() - start) / 60.0
    used = [scene_fronts[k] for k in train_keys]
    result = FineTuneResult(
        str(target),
        str(target.with_suffix(".md")),
        train_keys,
        held_keys,
        steps,
        spent,
        warnings=warnings,
    )
    shipped = [*base_nets, *nets] if with_base else nets
    out_meta = output_metadata(meta, used, steps, spent, len(base_nets) if with_base else 0)
    progress(0.9)
    write_model(result, shipped, out_meta, base_path, [pairs[k] for k in held_keys], cancelled)
    progress(1.0)
    return result
