"""The shell command ``calfin`` (also ``python -m calfin_qgis.core``): ``detect`` for one
scene, ``batch`` for many scenes × glaciers, ``terminus`` for the change over time. The same
core calls as the Processing algorithms, for scripts and for machines without QGIS.
"""

from __future__ import annotations

import argparse
import sys

from .. import schema
from ..detect.jobs import DetectJob, run, write_probabilities
from ..detect.options import OPTIONS
from ..errors import Cancelled, InputError
from ..geo import rasters, vectors
from . import batch, export, finetune, screen, suggest, terminus
from .args import ProgressPrinter, add_detection, add_option, detection_options

DESCRIPTION = """\
Calving fronts in Landsat and Sentinel-2 scenes with the CALFIN network (Cheng et al.,
The Cryosphere, 2021), without QGIS: the same pipeline as the calfin Processing algorithms.
'%(prog)s COMMAND --help' lists a command's settings."""

EXAMPLES = """examples:
  %(prog)s detect scene.tif fronts.gpkg --flow up
  %(prog)s batch downloads/ --clip glaciers.gpkg --output fronts.gpkg --status status.csv
  %(prog)s terminus fronts.gpkg --box boxes.gpkg --output positions.csv --report change.html

'calfin' and 'python -m calfin_qgis.core' are the same command."""


def _parser(prog: str = "calfin") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    detect = sub.add_parser(
        "detect",
        help="scene → calving fronts (.gpkg or .geojson)",
        description="One scene → its calving fronts as lines in the scene's CRS (.gpkg or "
        ".geojson), with the product's id, date, sensor and cloud cover when it has them.",
    )
    detect.add_argument(
        "scene",
        help="GeoTIFF (or PNG/JPEG, then in pixel coordinates), or a Landsat Level-1 product "
        "(.tar, folder or *_MTL.txt) or Sentinel-2 L1C/L2A product (.SAFE folder or .zip)",
    )
    detect.add_argument("output", help="fronts file (.gpkg or .geojson)")
    detect.add_argument("--clip", help="search-area polygon file (any CRS; reprojected)")
    add_option(detect, OPTIONS["glacier_id"])
    detect.add_argument("--probabilities", help="also write the probability GeoTIFF here")
    detect.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    add_detection(detect)
    batch.add_parser(sub)
    terminus.add_parser(sub)
    screen.add_parser(sub)
    export.add_parser(sub)
    finetune.add_parser(sub)
    suggest.add_parser(sub)
    return parser


def check_outputs(args: argparse.Namespace) -> None:
    """Before any work: output names and folders, and no output may be an input file."""
    vectors.check_vector_name(args.output)
    if args.probabilities:
        rasters.check_geotiff_name(args.probabilities)
    inputs = {"scene": args.scene, "--clip": args.clip, "--model": args.model}
    for path in (args.output, args.probabilities):
        if not path:
            continue
        rasters.check_destination(path, args.overwrite)
        for name, given in inputs.items():
            if given and rasters.same_file(path, given):
                raise InputError(
                    f"{path} is the {name} file: writing it would replace your input. "
                    "Choose another output file."
                )


def detect(args: argparse.Namespace) -> int:
    check_outputs(args)
    options = detection_options(args, clip=args.clip, glacier_id=args.glacier_id)
    job = DetectJob(
        args.scene,
        options,
        model=args.model or None,
        device=args.device,
        keep_segmentation=bool(args.probabilities),
    )
    result = run(
        job, progress=ProgressPrinter(), log=lambda kind, text: print(text, file=sys.stderr)
    )
    # The probabilities reach their name only once the fronts are written too.
    with rasters.optional_output(args.probabilities, args.overwrite) as tmp:
        if tmp:
            write_probabilities(tmp, result, overwrite=True)
        vectors.write_fronts(
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


def main(argv: list[str] | None = None, prog: str = "calfin") -> int:
    """The ``calfin`` console script; returns the exit status."""
    args = _parser(prog).parse_args(argv)
    try:
        return getattr(args, "handler", detect)(args)
    except (InputError, Cancelled) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        done = batch.RESUME if args.command == "batch" else "no output was written"
        print(f"cancelled: {done}", file=sys.stderr)
        return 130
