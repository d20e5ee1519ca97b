"""The ``export`` subcommand: ``python -m calfin_qgis.core export FRONTS --format termpicks
--output OUT.shp`` (same core entry point as calfin:export_fronts)."""

from __future__ import annotations

import argparse
import sys

from ..databases.glaciers import read_glacier_map
from ..databases.read import read_fronts_any
from ..databases.write import FORMATS, check_export_name, export_fronts
from ..errors import InputError
from ..geo import rasters


def add_parser(sub) -> None:
    """Add ``export`` to the CLI's subparsers; it runs ``run``."""
    parser = sub.add_parser(
        "export",
        help="fronts → CALFIN, TermPicks or AutoTerm layout (EPSG:3413) or GeoJSON",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("fronts", help="fronts file (ours, or any database layout)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="layout to write")
    parser.add_argument("--output", required=True, help=".shp or .gpkg (.geojson for geojson)")
    parser.add_argument(
        "--glacier-map",
        help="layer or table with glacier_id (text) and GlacierID (the database's integer id)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_export_name(args.output, args.format)
    rasters.check_destination(args.output, args.overwrite)
    for given in filter(None, (args.fronts, args.glacier_map)):
        if rasters.same_file(args.output, given.split("|")[0]):
            raise InputError(f"{args.output} is one of the inputs. Choose another output file.")
    glacier_map = read_glacier_map(args.glacier_map) if args.glacier_map else None
    fronts = read_fronts_any(args.fronts, glacier_map)
    result = export_fronts(fronts, args.format, args.output, glacier_map, args.overwrite)
    for note in fronts.notes + result.notes:
        print(note, file=sys.stderr)
    print(f"{result.count} front(s) of {fronts.name} ({fronts.schema}) written to {args.output}")
    return 0
