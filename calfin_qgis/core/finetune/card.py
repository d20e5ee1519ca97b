"""What a fine-tune tells: its result, the metadata written into the ONNX file, the short
card written beside it and the lines printed at the end."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from .. import contract
from ..evaluation.breakdown import glacier_of

SAME_WITHIN = 0.05
"""Held-out means within 5 % of each other count as the same: the issue-22 benchmark's
held-out scene moved by about that between runs (3.15, 2.95 and 3.34 px against the twin's
3.33), so a smaller difference says nothing."""


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
    def verdict(self) -> str:
        """The held-out comparison in words: better, the same, worse, or why it cannot say."""
        if not self.held_out:
            return "not checked: no scene was held out"
        base, tuned = self.base_score, self.tuned_score
        if tuned is None and base is not None or self.tuned_no_front > self.base_no_front:
            return "worse: it finds no front on held-out scenes where the base found one"
        if base is None:
            return "not comparable: the base found no front on the held-out scenes" + (
                "; the fine-tuned one draws fronts there: check them" if tuned else ""
            )
        change = (tuned - base) / base
        fewer = self.tuned_no_front < self.base_no_front
        if change > SAME_WITHIN:
            if fewer:
                return "mixed: fronts on more held-out scenes, but further off on average"
            return f"worse: {100 * change:.0f} % further off on the held-out scenes"
        if change < -SAME_WITHIN:
            return f"better: {100 * -change:.0f} % closer on the held-out scenes"
        if fewer:
            return "better: fronts on more held-out scenes, as close on average"
        return f"the same as the base within {100 * SAME_WITHIN:.0f} % on the held-out scenes"

    @property
    def worse(self) -> bool:
        return self.verdict.startswith("worse")


def figure(mean: float | None, no_front: int) -> str:
    """'3.15 px mean, 0 without a front' of a held-out score."""
    return f"{'-' if mean is None else f'{mean:.2f}'} px mean, {no_front} without a front"


def output_metadata(
    meta: dict, used: list, steps: list[int], minutes: float, base_members: int
) -> dict:
    """The base's metadata with the tuned model's name and version, and what it learnt from
    (``base_members``: the base's members averaged in, 0 for none)."""
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
        "calfin.finetune.members": f"{len(steps)} tuned + {base_members} base, averaged",
    }
    return out


def card_text(result: FineTuneResult, meta: dict, base_path: str) -> str:
    """The short card written beside the model."""
    keys = contract.METADATA_KEYS

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
        f"{result.minutes:.1f} minutes, with the shipped replay scenes mixed in; members: "
        f"{meta['calfin.finetune.members']}.",
        f"- Held out ({len(result.held_out)}: {', '.join(result.held_out) or 'none'}): "
        f"base {figure(result.base_score, result.base_no_front)}, tuned "
        f"{figure(result.tuned_score, result.tuned_no_front)}: {result.verdict}.",
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


def report_lines(result: FineTuneResult) -> list[str]:
    """What the user reads at the end: where the model is, and before/after on held-out."""

    lines = [
        f"Fine-tuned model written to {result.output} (card: {result.card}); "
        f"{result.steps} steps per member in {result.minutes:.1f} min on "
        f"{len(result.scenes_used)} scene(s)."
    ]
    if result.held_out:
        lines.append(
            f"Held-out fronts ({len(result.held_out)} scene(s)): base "
            f"{figure(result.base_score, result.base_no_front)}; fine-tuned "
            f"{figure(result.tuned_score, result.tuned_no_front)}: {result.verdict}."
        )
    if result.worse:
        lines.append(
            "WARNING: the fine-tuned model is WORSE than the base on the held-out fronts. It "
            "was written (flagged in its card) but do not use it: correct more, or more "
            "varied, scenes and fine-tune again."
        )
    return lines
