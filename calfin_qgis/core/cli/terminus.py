"""The ``terminus`` subcommand: ``python -m calfin_qgis.core terminus FRONTS --box B
--centreline C --output T.csv --report R.html`` (same core entry point as calfin:terminus_change).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import InputError
from ..geo import rasters
from ..terminus.change import DEFAULT_QUAL_FLAGS, parse_flags, terminus_change
from ..terminus.layers import check_table_name, read_fronts, read_references, write_table
from ..terminus.report import write_terminus_report


def add_parser(sub) -> None:
    """Add ``terminus`` to the CLI's subparsers; it runs ``run``."""
    parser = sub.add_parser(
        "terminus",
        help="dated fronts → terminus positions, change and rate (box and/or centreline)",
    )
    parser.add_argument("fronts", help="fronts file with date and glacier id fields")
    parser.add_argument("--box", help="box polygons (rectilinear or curvilinear), one per glacier")
    parser.add_argument("--centreline", help="centrelines drawn upstream → ocean, one per glacier")
    parser.add_argument(
        "--glacier-field", default="glacier_id", help="glacier id field (default glacier_id)"
    )
    flags = ",".join(map(str, DEFAULT_QUAL_FLAGS))
    parser.add_argument(
        "--qual-flags",
        default=flags,
        help=f"qual_flag values of the fronts to use (default {flags}; rejected fronts are "
        "never used)",
    )
    parser.add_argument("--output", required=True, help="positions table (.csv)")
    parser.add_argument("--report", help="HTML report with a time-series plot per glacier")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_table_name(args.output)
    inputs = [p for p in (args.fronts, args.box, args.centreline) if p]
    if args.report and os.path.abspath(args.report) == os.path.abspath(args.output):
        raise InputError(
            f"--report and --output are both {args.output}. Give the report its own file "
            "name (.html)."
        )
    for path in filter(None, (args.output, args.report)):
        rasters.check_destination(path, args.overwrite)
        if any(rasters.same_file(path, given) for given in inputs):
            raise InputError(f"{path} is one of the inputs. Choose another output file.")
    field = args.glacier_field
    result = terminus_change(
        read_fronts(args.fronts, field),
        read_references(args.box, field, "box") if args.box else None,
        read_references(args.centreline, field, "centreline") if args.centreline else None,
        parse_flags(args.qual_flags),
    )
    for note in result.notes:
        print(note, file=sys.stderr)
    # The report reaches its name only once the table is written too.
    with rasters.optional_output(args.report, args.overwrite) as tmp:
        if tmp:
            write_terminus_report(tmp, result, overwrite=True)
        write_table(args.output, result.rows, args.overwrite)
    measured = sum(
        r.box_position_m is not None or r.centreline_position_m is not None for r in result.rows
    )
    print(
        f"{measured} of {len(result.rows)} glacier-date(s) measured; table: {args.output}"
        + (f", report: {args.report}" if args.report else "")
    )
    return 0
