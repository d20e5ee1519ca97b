"""The ``terminus`` subcommand: ``calfin terminus FRONTS --box B --centreline C
--output T.csv --report R.html`` (same core entry point and the same table as
calfin:terminus_change).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..databases.glaciers import read_glacier_map
from ..errors import InputError
from ..geo import rasters, vectors
from ..terminus.change import terminus_change
from ..terminus.inputs import DEFAULT_QUAL_FLAGS, METHODS, parse_flags
from ..terminus.layers import (
    check_table_name,
    read_fronts,
    read_references,
    write_cuts,
    write_geometry,
    write_profiles,
    write_table,
)
from ..terminus.report import write_terminus_report
from ..terminus.table import POSITION_FIELDS


def add_parser(sub) -> None:
    """Add ``terminus`` to the CLI's subparsers; it runs ``run``."""
    parser = sub.add_parser(
        "terminus",
        help="dated fronts → terminus positions by box, curvilinear box and centreline "
        "methods, change and rate",
        description="Dated fronts → each glacier's terminus position per date by every method "
        "the given geometry allows (box, curvilinear box, centreline, extrapolated "
        "centreline, multi-centreline; drawn, or built from glacier polygons), its change "
        "since the first date and its rate, as a table and an optional HTML report.",
    )
    parser.add_argument("fronts", help="fronts file with date and glacier id fields")
    parser.add_argument("--box", help="box polygons (upstream edge first), one per glacier")
    parser.add_argument("--centreline", help="centrelines drawn upstream → ocean, one per glacier")
    parser.add_argument(
        "--box-width",
        type=float,
        help="width (m) of a curvilinear box built along each centreline",
    )
    parser.add_argument(
        "--glaciers",
        help="glacier polygons: a centreline and curvilinear box are built for each glacier "
        "that has neither box nor centreline (needs detected fronts, which record their ice side)",
    )
    parser.add_argument(
        "--method",
        default="box",
        choices=METHODS,
        help="position used for change and rate (default box)",
    )
    parser.add_argument(
        "--glacier-field", default="glacier_id", help="glacier id field (default glacier_id)"
    )
    flags = ",".join(map(str, DEFAULT_QUAL_FLAGS))
    parser.add_argument(
        "--glacier-map",
        help="for database fronts: layer or table with glacier_id and their integer GlacierID",
    )
    parser.add_argument(
        "--qual-flags",
        default=flags,
        help=f"qual_flag values of the fronts to use (default {flags}; rejected fronts are "
        "never used)",
    )
    parser.add_argument(
        "--keep-screened",
        action="store_true",
        help="measure the fronts screening marked too (greyed in the report)",
    )
    parser.add_argument("--output", required=True, help="positions table (.csv)")
    parser.add_argument("--report", help="HTML report with a time-series plot per glacier")
    parser.add_argument("--profiles", help="multi-centreline across-front profiles (.csv)")
    parser.add_argument("--geometry", help="the boxes and centrelines used (.gpkg)")
    parser.add_argument("--box-cuts", help="the measured part of each box per date (.gpkg)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.set_defaults(handler=run)


def _check_outputs(args: argparse.Namespace) -> None:
    check_table_name(args.output)
    if args.profiles:
        check_table_name(args.profiles)
    for path in filter(None, (args.geometry, args.box_cuts)):
        vectors.check_vector_name(path)
    inputs = [p for p in (args.fronts, args.box, args.centreline, args.glaciers) if p]
    outputs = (args.output, args.report, args.profiles, args.geometry, args.box_cuts)
    paths = [os.path.abspath(path) for path in outputs if path]
    twice = sorted({path for path in paths if paths.count(path) > 1})
    if twice:
        raise InputError(
            f"Two outputs are the same file ({', '.join(twice)}): one would replace the "
            "other. Give each output its own file name."
        )
    for path in filter(None, outputs):
        rasters.check_destination(path, args.overwrite)
        if any(rasters.same_file(path, given) for given in inputs):
            raise InputError(f"{path} is one of the inputs. Choose another output file.")


def run(args: argparse.Namespace) -> int:
    _check_outputs(args)
    field = args.glacier_field

    def references(path, kind):
        return read_references(path, field, kind) if path else None

    glacier_map = read_glacier_map(args.glacier_map) if args.glacier_map else None
    fronts, notes = read_fronts(args.fronts, field, glacier_map)
    result = terminus_change(
        fronts,
        references(args.box, "box"),
        references(args.centreline, "centreline"),
        parse_flags(args.qual_flags),
        method=args.method,
        box_width=args.box_width,
        glaciers=references(args.glaciers, "glacier polygon"),
        keep_screened=args.keep_screened,
    )
    for note in notes + result.notes:
        print(note, file=sys.stderr)
    # The extra outputs reach their names only once the table is written too.
    with (
        rasters.optional_output(args.report, args.overwrite) as report,
        rasters.optional_output(args.profiles, args.overwrite) as profiles,
        rasters.optional_output(args.geometry, args.overwrite) as geometry,
        rasters.optional_output(args.box_cuts, args.overwrite) as cuts,
    ):
        if report:
            write_terminus_report(report, result, overwrite=True)
        if profiles:
            write_profiles(profiles, result.profiles, overwrite=True)
        if geometry:
            write_geometry(geometry, result.geometry, result.crs_wkt, overwrite=True)
        if cuts:
            write_cuts(cuts, result.cut_records(), result.crs_wkt, overwrite=True)
        write_table(args.output, result.rows, args.overwrite)
    measured = sum(
        any(getattr(r, name) is not None for name in POSITION_FIELDS) for r in result.rows
    )
    print(
        f"{measured} of {len(result.rows)} glacier-date(s) measured; table: {args.output}"
        + "".join(
            f", {label}: {path}"
            for label, path in (
                ("report", args.report),
                ("profiles", args.profiles),
                ("geometry", args.geometry),
                ("box cuts", args.box_cuts),
            )
            if path
        )
    )
    return 0
