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

import datetime
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import contract
from ..errors import InputError
from ..evaluation.breakdown import glacier_of
from ..geo import rasters
from ..network.model import default_model_path, load_model
from . import fronts as fronts_io
from . import pairs as pair_making
from .replay import load_replay

Log = Callable[[str, str], None]

OWN_ITEMS = 96
"""Jittered variants of the user's scenes in all (at least 2 and at most 12 per scene)."""
REPLAY_VARIANTS = 3
WITH_BASE = False
"""Ship the tuned members alone (False) or averaged with the base's (True): chosen on
Jakobshavn (model card, 'Teach it your glacier')."""


@dataclass
class FineTuneResult:
    output: str
    card: str
    scenes_used: list[str]
    held_out: list[str]
    steps: list[int]
    minutes: float
    base_score: float | None = None
    """Pooled mean distance (px) of the base model on the held-out fronts."""
    tuned_score: float | None = None
    base_no_front: int = 0
    tuned_no_front: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def worse(self) -> bool:
        if self.base_score is None or self.tuned_score is None:
            return False
        return (self.tuned_no_front, self.tuned_score) > (self.base_no_front, self.base_score)


def requirement_problem() -> str | None:
    """What to install for fine-tuning, or None when PyTorch and onnx are importable."""
    import importlib.util

    missing = [name for name in ("torch", "onnx") if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"Fine-tuning needs {' and '.join(missing)}, which are not installed. Install them "
        "from the CALFIN plugin menu (Install dependencies, 'fine-tuning'), or run: "
        "python3 -m pip install --user torch --index-url https://download.pytorch.org/whl/cpu "
        "onnx  (the CPU build, about 200 MB). Detection does not need them."
    )


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


def training_items(pairs_: list, exclude: tuple[str, ...], rng) -> tuple[list, list]:
    """(own, replay) (input, targets) items: jittered variants of the user's pairs and of
    the shipped replay scenes (without the glaciers in ``exclude``)."""
    per_scene = int(np.clip(OWN_ITEMS // max(1, len(pairs_)), 2, 12))
    own = [i for p in pairs_ for i in pair_making.variants(p.grey, p.front3, per_scene, rng)]
    replay = [
        item
        for scene in load_replay(exclude=exclude)
        for item in pair_making.variants(scene.grey, scene.front3, REPLAY_VARIANTS, rng)
    ]
    return own, replay


def output_metadata(meta: dict, used: list, steps: list[int], minutes: float) -> dict:
    keys = contract.METADATA_KEYS
    out = dict(meta)
    base_name, base_version = meta.get(keys["name"], "?"), meta.get(keys["version"], "?")
    today = datetime.date.today()
    out[keys["name"]] = f"{base_name}-tuned"
    out[keys["version"]] = f"{base_version}+{today:%Y%m%d}"
    glaciers = sorted({e.glacier_id or glacier_of(e.image_id) for e in used} - {""})
    out |= {
        "calfin.base_name": base_name,
        "calfin.base_version": base_version,
        "calfin.finetune.fronts": str(sum(len(e.lines) for e in used)),
        "calfin.finetune.scenes": ",".join(e.image_id for e in used),
        "calfin.finetune.glaciers": ",".join(glaciers),
        "calfin.finetune.dates": ",".join(e.date for e in used if e.date),
        "calfin.finetune.steps": ",".join(str(s) for s in steps),
        "calfin.finetune.minutes": f"{minutes:.2f}",
        "calfin.finetune.date": today.isoformat(),
    }
    return out


def card_text(result: FineTuneResult, meta: dict, base_path: str) -> str:
    """The short card written beside the model."""
    keys = contract.METADATA_KEYS

    def figure(mean, no_front) -> str:
        return (
            "no held-out scene"
            if mean is None and not no_front
            else (
                f"{mean:.2f} px mean, {no_front} without a front"
                if mean is not None
                else f"no front in {no_front} scene(s)"
            )
        )

    lines = [
        f"# {meta[keys['name']]} {meta[keys['version']]}",
        "",
        f"Fine-tuned by calfin_qgis from {meta['calfin.base_name']} "
        f"{meta['calfin.base_version']} ({Path(base_path).name}) on "
        f"{meta['calfin.finetune.date']}.",
        "",
        f"- Fronts: {meta['calfin.finetune.fronts']} on {len(result.scenes_used)} scene(s), "
        f"glaciers {meta['calfin.finetune.glaciers'] or 'unknown'}, dates "
        f"{meta['calfin.finetune.dates'] or 'unknown'}.",
        f"- Training: {meta['calfin.finetune.steps']} steps (per member) in "
        f"{result.minutes:.1f} minutes, with the shipped replay scenes mixed in.",
        f"- Held out ({len(result.held_out)}: {', '.join(result.held_out) or 'none'}): "
        f"base {figure(result.base_score, result.base_no_front)}, tuned "
        f"{figure(result.tuned_score, result.tuned_no_front)}.",
    ]
    if result.worse:
        lines.append("- **WORSE than the base model on the held-out fronts: do not use it.**")
    lines += [f"- Warning: {w}" for w in result.warnings]
    lines += [
        "",
        "Same input/output contract as the base (see its MODEL_CARD.md). Limits: it learnt "
        "from the scenes above; scenes unlike them (winter, haze) may get confident wrong "
        "fronts; correct one of those too and fine-tune again.",
    ]
    return "\n".join(lines) + "\n"


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
    ``fronts`` is its file, or (``fronts.group_fronts`` result, CRS WKT) read by QGIS."""
    problem = requirement_problem()
    if problem:
        raise InputError(problem)
    if minutes <= 0:
        raise InputError(f"MINUTES is {minutes:g}: give a positive time budget (e.g. 10).")
    base_path = str(base) if base else str(default_model_path())
    target = check_output(output, base_path, overwrite)
    card_target = target.with_suffix(".md")
    scene_fronts, crs = fronts if isinstance(fronts, tuple) else fronts_io.read_fronts(fronts)
    warnings: list[str] = []
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
        scene_fronts = {k: v for k, v in scene_fronts.items() if v.path}

    import torch

    from . import tuning, weights

    torch.set_num_threads(max(1, min(os.cpu_count() or 1, 4)))
    nets, meta = weights.load_members(base_path)
    base_model, _ = load_model(base_path, "cpu")
    pairs = make_pairs(scene_fronts, crs, base_model, log, lambda f: progress(0.1 * f))
    train_keys, held_keys = split_held_out(list(pairs))
    if not held_keys:
        warnings.append(
            f"Only {len(pairs)} scene(s) with fronts: none can be held out to score the "
            "result, so it is trained on all and not checked. Give 4 or more scenes."
        )
        log("warning", warnings[-1])
    rng = np.random.default_rng(0)
    own, replay = training_items([pairs[k] for k in train_keys], exclude_replay, rng)
    log(
        "info",
        f"{len(own)} training variants of {len(train_keys)} scene(s), {len(replay)} "
        f"replayed; {len(held_keys)} scene(s) held out",
    )
    base_nets = [weights.load_members(base_path)[0][i] for i in range(len(nets))]
    start, steps = time.perf_counter(), []
    share = minutes * 60.0 / len(nets)
    for i, net in enumerate(nets):

        def member_progress(f: float, i: int = i) -> None:
            progress(0.1 + 0.75 * (i + f) / len(nets))

        done = tuning.tune(
            net,
            own,
            replay,
            share,
            seed=i,
            progress=member_progress,
            cancelled=cancelled,
            max_steps=max_steps,
        )
        steps.append(done.steps)
        log(
            "info",
            f"member {i + 1}/{len(nets)}: {done.steps} steps in {done.seconds:.0f} s, "
            f"loss {done.loss:.3f}",
        )
    spent = (time.perf_counter() - start) / 60.0
    used = [scene_fronts[k] for k in train_keys]
    out_meta = output_metadata(meta, used, steps, spent)
    result = FineTuneResult(
        str(target), str(card_target), train_keys, held_keys, steps, spent, warnings=warnings
    )
    shipped = [*base_nets, *nets] if with_base else nets
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".calfin-finetune-") as tmp:
        staged = Path(tmp) / target.name
        doc = f"{meta.get('calfin.name', 'calfin')} fine-tuned on {len(used)} scene(s)"
        weights.export(shipped, staged, out_meta, doc)
        difference = weights.max_difference(shipped, staged)
        if difference >= 1e-4:
            raise RuntimeError(f"the exported model differs from PyTorch by {difference:.1e}")
        progress(0.9)
        if held_keys:
            held = [pairs[k] for k in held_keys]
            result.base_score, result.base_no_front = score(base_path, held)
            result.tuned_score, result.tuned_no_front = score(str(staged), held)
        if cancelled():
            from ..errors import Cancelled

            raise Cancelled("cancelled by the user")
        (Path(tmp) / card_target.name).write_text(card_text(result, out_meta, base_path))
        os.replace(staged, target)
        os.replace(Path(tmp) / card_target.name, card_target)
    progress(1.0)
    return result


def report_lines(result: FineTuneResult) -> list[str]:
    """What the user reads at the end: where the model is, and before/after on held-out."""

    def figure(mean: float | None, no_front: int) -> str:
        return f"{'-' if mean is None else f'{mean:.2f}'} px mean, {no_front} without a front"

    lines = [
        f"Fine-tuned model written to {result.output} (card: {result.card}); "
        f"{result.steps} steps per member in {result.minutes:.1f} min on "
        f"{len(result.scenes_used)} scene(s)."
    ]
    if result.held_out:
        lines.append(
            f"Held-out fronts ({len(result.held_out)} scene(s)): base "
            f"{figure(result.base_score, result.base_no_front)}; fine-tuned "
            f"{figure(result.tuned_score, result.tuned_no_front)}."
        )
    if result.worse:
        lines.append(
            "WARNING: the fine-tuned model is WORSE than the base on the held-out fronts. It "
            "was written (flagged in its card) but do not use it: correct more, or more "
            "varied, scenes and fine-tune again."
        )
    return lines
