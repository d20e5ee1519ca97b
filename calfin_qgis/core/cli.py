"""Command line: ``python -m calfin_qgis.core detect scene.tif fronts.gpkg``.

The same pipeline as the Processing algorithms, for scripts and for machines without QGIS.
"""

from __future__ import annotations

import argparse
import sys

from . import contract, io, schema, terminus_cli
from .errors import Cancelled, InputError
from .jobs import DetectJob, run
from .model import DEVICES
from .pipeline import DetectOptions, write_probabilities


def _number(kind: type, low: float, high: float = float("inf"), high_open: bool = False):
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m calfin_qgis.core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    detect = sub.add_parser(
        "detect",
        help="scene → calving fronts (.gpkg or .geojson)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    detect.add_argument(
        "scene",
        help="GeoTIFF (or PNG/JPEG, then in pixel coordinates), or a Landsat Level-1 product "
        "(.tar, folder or *_MTL.txt) or Sentinel-2 L1C/L2A product (.SAFE folder or .zip)",
    )
    detect.add_argument("output", help="fronts file (.gpkg or .geojson)")
    detect.add_argument(
        "--band",
        type=_number(int, 1),
        help="band number (of a product: the sensor's, 8 for B8); default: a product's from "
        "the sensor band table (README, 'Band'), a raster's band 1",
    )
    detect.add_argument("--clip", help="search-area polygon file (any CRS; reprojected)")
    detect.add_argument("--flow", help="ice flow direction: up/down/left/right or azimuth°")
    detect.add_argument("--glacier-id", default="", help="written into every front")
    detect.add_argument(
        "--threshold",
        type=_number(float, 0.01, 0.99),
        default=contract.EDGE_THRESHOLD,
        help="edge probability that seeds a front",
    )
    detect.add_argument(
        "--low-threshold",
        type=_number(float, 0.0, 1.0, high_open=True),
        default=contract.EDGE_LOW_THRESHOLD,
        help="hysteresis: weaker edge pixels joined to the front (0 or >= threshold: off)",
    )
    detect.add_argument("--min-length", type=_number(float, 0), default=10.0, help="pixels")
    detect.add_argument(
        "--max-fronts", type=_number(int, 0), default=0, help="most pieces (0: no limit)"
    )
    detect.add_argument(
        "--min-contrast",
        type=_number(float, 0.0, 1.0),
        default=0.5,
        help="keep pieces besides the longest that separate ice/ocean this well",
    )
    detect.add_argument("--probabilities", help="also write the probability GeoTIFF here")
    detect.add_argument(
        "--device", choices=DEVICES, default="auto", help="auto: CUDA when available, else CPU"
    )
    detect.add_argument(
        "--no-flip", action="store_true", help="skip the mirrored pass (2x faster, less accurate)"
    )
    detect.add_argument(
        "--keep-resolution",
        action="store_true",
        help="do not average pixels much finer than the model's (e.g. 15 m) to its "
        f"{contract.TRAIN_PIXEL_SIZE_M:g} m",
    )
    detect.add_argument("--model", help="ONNX model instead of the bundled one")
    detect.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    terminus_cli.add_parser(sub)
    return parser


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


def check_outputs(args: argparse.Namespace) -> None:
    """Before any work: output names and folders, and no output may be an input file."""
    io.check_vector_name(args.output)
    if args.probabilities:
        io.check_geotiff_name(args.probabilities)
    inputs = {"scene": args.scene, "--clip": args.clip, "--model": args.model}
    for path in (args.output, args.probabilities):
        if not path:
            continue
        io.check_destination(path, args.overwrite)
        for name, given in inputs.items():
            if given and io.same_file(path, given):
                raise InputError(
                    f"{path} is the {name} file: writing it would replace your input. "
                    "Choose another output file."
                )


def detect(args: argparse.Namespace) -> int:
    check_outputs(args)
    options = DetectOptions(
        band=args.band,
        clip=args.clip,
        flow=args.flow,
        glacier_id=args.glacier_id,
        threshold=args.threshold,
        low_threshold=args.low_threshold,
        min_length_px=args.min_length,
        max_fronts=args.max_fronts or None,
        min_contrast=args.min_contrast,
        flip=not args.no_flip,
        resample=not args.keep_resolution,
    )
    job = DetectJob(
        args.scene,
        options,
        model=args.model,
        device=args.device,
        keep_segmentation=bool(args.probabilities),
    )
    result = run(
        job, progress=ProgressPrinter(), log=lambda kind, text: print(text, file=sys.stderr)
    )
    # The probabilities reach their name only once the fronts are written too.
    with io.optional_output(args.probabilities, args.overwrite) as tmp:
        if tmp:
            write_probabilities(tmp, result.segmentation, result.model_info, overwrite=True)
        io.write_fronts(
            args.output,
            result.records,
            schema.FRONT_FIELDS,
            result.crs_wkt,
            overwrite=args.overwrite,
        )
    if not result.records:
        print(f"No calving front found in {args.scene}; wrote an empty layer.", file=sys.stderr)
    print(f"{len(result.records)} front(s) written to {args.output} in {result.seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return getattr(args, "handler", detect)(args)
    except (InputError, Cancelled) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled: no output was written", file=sys.stderr)
        return 130
