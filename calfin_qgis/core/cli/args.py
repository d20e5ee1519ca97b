"""Command-line arguments shared by ``detect`` and ``batch``: the detection settings, built
from the option table (``detect.options``), and their reading back into ``DetectOptions``;
checked numbers, terminal progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from ..detect.options import EXTRACTION, INFERENCE, OPTIONS, Option
from ..detect.segmentation import DetectOptions

DETECTION = (OPTIONS["band"], *INFERENCE, *EXTRACTION)
"""The settings of every job (``detect`` adds --glacier-id, ``batch`` a field per glacier)."""


def number(kind: type, low: float, high: float = float("inf")):
    """An argparse type: ``kind`` within [low, high], with a clear error."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not low <= value <= high:
            upper = "" if high == float("inf") else f" and at most {high:g}"
            raise argparse.ArgumentTypeError(f"{text} must be at least {low:g}{upper}")
        return value

    return parse


def _help(option: Option) -> str:
    """The table's help with the range and default, as the README writes them."""
    notes = []
    if option.minimum is not None:
        high = option.maximum
        notes.append(
            f"at least {option.minimum:g}" if high is None else f"{option.minimum:g}-{high:g}"
        )
    if option.kind is bool:
        notes.append(f"{option.parameter} off")
    unset = option.choices and option.default == option.none_value  # the help says what then
    if option.kind is not bool and option.default not in (None, "") and not unset:
        notes.append(
            f"default {option.default:g}" if option.kind is float else f"default {option.default}"
        )
    return option.help + (f" ({', '.join(notes)})" if notes else "")


def add_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup, option: Option) -> None:
    """The shell argument of ``option``: its flag, type, range, default and help."""
    if option.kind is bool:
        parser.add_argument(
            option.flag, dest=option.field, action="store_false", help=_help(option)
        )
        return
    kind = option.kind
    if option.minimum is not None:
        high = float("inf") if option.maximum is None else option.maximum
        kind = number(option.kind, option.minimum, high)
    # --flow takes azimuths besides its choices (the core checks them); "unknown" is no --flow.
    choices = None if option.none_value in option.choices else option.choices or None
    parser.add_argument(
        option.flag,
        dest=option.field,
        type=kind,
        choices=choices,
        default=option.default,
        metavar=None if choices else option.parameter,
        help=_help(option),
    )


def add_detection(parser: argparse.ArgumentParser) -> None:
    """Band, flow, inference and extraction settings: those of every job."""
    group = parser.add_argument_group(
        "detection settings",
        "the same as the Processing parameters named in capitals (--min-length MIN_LENGTH)",
    )
    for option in DETECTION:
        add_option(group, option)
    group.add_argument("--model", help="ONNX model instead of the bundled one")


def detection_options(
    args: argparse.Namespace, options: Iterable[Option] = DETECTION, **fields
) -> DetectOptions:
    """The values of the table ``options`` (``add_detection``'s) in ``args``, plus
    ``fields`` (clip, glacier id), as ``DetectOptions``."""
    values = {o.field: o.field_value(getattr(args, o.field)) for o in options}
    values.pop("device", None)  # the job's, not the options'
    return DetectOptions(**values, **fields)


class ProgressPrinter:
    """The core's progress callable for a terminal: one line per 10 % on stderr."""

    def __init__(self, step: int = 10) -> None:
        self.step = step
        self.shown = 0

    def __call__(self, fraction: float) -> None:
        percent = int(100 * fraction) // self.step * self.step
        if percent > self.shown:
            self.shown = percent
            print(f"inference {percent} %", file=sys.stderr, flush=True)
