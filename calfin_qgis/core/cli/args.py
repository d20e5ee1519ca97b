"""Command-line arguments shared by ``detect`` and ``batch``: the detection settings and
their reading back into ``DetectOptions``, checked numbers, terminal progress."""

from __future__ import annotations

import argparse
import sys

from .. import contract
from ..detect.segmentation import DetectOptions
from ..errors import InputError
from ..network.model import DEVICES
from ..network.views import DEFAULT_VIEWS, VIEWS_TEXT, check_views


def number(kind: type, low: float, high: float = float("inf"), high_open: bool = False):
    """An argparse type: ``kind`` within [low, high] (or [low, high)), with a clear error."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not (low <= value < high if high_open else low <= value <= high):
            upper = f"below {high:g}" if high_open else f"at most {high:g}"
            raise argparse.ArgumentTypeError(f"{text} must be at least {low:g} and {upper}")
        return value

    return parse


def add_detection(parser: argparse.ArgumentParser) -> None:
    """Band, flow, extraction thresholds, model and device: the settings of every job."""
    parser.add_argument(
        "--band",
        type=number(int, 1),
        help="band number (of a product: the sensor's, 8 for B8); default: a product's from "
        "the sensor band table (README, 'Band'), a raster's band 1",
    )
    parser.add_argument("--flow", help="ice flow direction: up/down/left/right or azimuth°")
    parser.add_argument(
        "--threshold",
        type=number(float, 0.01, 0.99),
        default=contract.EDGE_THRESHOLD,
        help="edge probability that seeds a front",
    )
    parser.add_argument(
        "--low-threshold",
        type=number(float, 0.0, 1.0, high_open=True),
        default=contract.EDGE_LOW_THRESHOLD,
        help="hysteresis: weaker edge pixels joined to the front (0 or >= threshold: off)",
    )
    parser.add_argument("--min-length", type=number(float, 0), default=10.0, help="pixels")
    parser.add_argument(
        "--max-fronts", type=number(int, 0), default=0, help="most pieces (0: no limit)"
    )
    parser.add_argument(
        "--min-contrast",
        type=number(float, 0.0, 1.0),
        default=0.5,
        help="keep pieces besides the longest that separate ice/ocean this well",
    )
    parser.add_argument(
        "--device", choices=DEVICES, default="auto", help="auto: CUDA when available, else CPU"
    )
    parser.add_argument(
        "--views",
        type=views_number,
        default=DEFAULT_VIEWS,
        help=f"test-time views averaged: {VIEWS_TEXT}; their disagreement goes into each "
        "front's uncertainty_m",
    )
    parser.add_argument(
        "--no-flip",
        action="store_true",
        help="the same as --views 1 (kept for older scripts: no mirrored pass, 2x faster)",
    )
    parser.add_argument(
        "--keep-resolution",
        action="store_true",
        help="do not average pixels much finer than the model's (e.g. 15 m) to its "
        f"{contract.TRAIN_PIXEL_SIZE_M:g} m",
    )
    parser.add_argument("--model", help="ONNX model instead of the bundled one")


def detection_options(args: argparse.Namespace, **fields) -> DetectOptions:
    """The settings of ``add_detection`` (plus ``fields``: clip, glacier id) as options."""
    return DetectOptions(
        band=args.band,
        flow=args.flow,
        threshold=args.threshold,
        low_threshold=args.low_threshold,
        min_length_px=args.min_length,
        max_fronts=args.max_fronts or None,
        min_contrast=args.min_contrast,
        views=chosen_views(args),
        resample=not args.keep_resolution,
        **fields,
    )


def views_number(text: str) -> int:
    """An argparse type: 1, 2 or 8 views."""
    try:
        return check_views(text)
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def chosen_views(args: argparse.Namespace) -> int:
    """--views, with --no-flip as --views 1; refused together with more views."""
    if not args.no_flip:
        return args.views
    if args.views not in (1, DEFAULT_VIEWS):
        raise InputError(
            f"--no-flip means --views 1 but --views {args.views} was given too: keep one."
        )
    return 1


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
