"""The ``finetune`` subcommand: ``python -m calfin_qgis.core finetune FRONTS --scenes FOLDER
--output MODEL.onnx [--minutes M] [--base MODEL.onnx]`` (same core entry point as
calfin:fine_tune_model)."""

from __future__ import annotations

import argparse
import sys

from ..finetune.card import report_lines
from ..finetune.runner import fine_tune
from .args import number


def add_parser(sub) -> None:
    """Add ``finetune`` to the CLI's subparsers; it runs ``run``."""
    parser = sub.add_parser(
        "finetune",
        help="trusted fronts of your glacier → a fine-tuned model (.onnx); needs PyTorch",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "fronts",
        help="fronts with image_id: the review dock's accepted/edited/redrawn ones, "
        "qual_flag 0/3, or any hand-drawn reference fronts",
    )
    parser.add_argument("--scenes", required=True, help="folder holding the fronts' scenes")
    parser.add_argument("--output", required=True, help="the fine-tuned model (.onnx)")
    parser.add_argument(
        "--minutes", type=number(float, 0.05, 240), default=10.0, help="training time budget"
    )
    parser.add_argument("--base", help="model to start from (default: the bundled one)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.set_defaults(handler=run)


class _Progress:
    def __init__(self) -> None:
        self.shown = 0

    def __call__(self, fraction: float) -> None:
        percent = int(100 * fraction) // 10 * 10
        if percent > self.shown:
            self.shown = percent
            print(f"fine-tuning {percent} %", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    result = fine_tune(
        args.fronts,
        args.scenes,
        args.output,
        minutes=args.minutes,
        base=args.base,
        overwrite=args.overwrite,
        progress=_Progress(),
        log=lambda kind, text: print(text, file=sys.stderr, flush=True),
    )
    for line in report_lines(result):
        print(line)
    return 3 if result.worse else 0
