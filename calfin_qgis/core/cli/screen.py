"""The ``screen`` subcommand: ``python -m calfin_qgis.core screen FRONTS.gpkg --output
SCREENED.gpkg [--box B] [--centreline C] [--clip P]`` (same core entry point as
calfin:screen_fronts and the batch's last step)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..errors import InputError
from ..geo import rasters
from ..screening.files import screen_file
from ..screening.rules import RULES
from ..screening.series import OK, REVIEWED
from ..terminus.layers import read_references


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "screen",
        help="dated fronts → a copy with 'screen': ok, or the rules a front fails",
        description="Rules: " + " ".join(f"{name}: {text}" for name, text in RULES.items()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("fronts", help="fronts file with date and glacier id fields")
    parser.add_argument("--output", required=True, help="screened copy (.gpkg or .geojson)")
    parser.add_argument("--box", help="box polygons, one per glacier (positions in the box)")
    parser.add_argument("--centreline", help="centrelines drawn upstream → ocean, one per glacier")
    parser.add_argument("--clip", help="the glaciers' search polygons (the edge rule)")
    parser.add_argument("--glacier-field", default="glacier_id", help="glacier id field")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    field = args.glacier_field
    given = {"--box": args.box, "--centreline": args.centreline, "--clip": args.clip}
    for name, path in given.items():
        if path and rasters.same_file(path, args.output):
            raise InputError(f"--output is the {name} file. Choose another output file.")
    kinds = {"--box": "box", "--centreline": "centreline", "--clip": "search polygon"}
    layers = {
        name: read_references(path, field, kinds[name]) if path else None
        for name, path in given.items()
    }
    screened = screen_file(
        args.fronts,
        args.output,
        layers["--box"],
        layers["--centreline"],
        layers["--clip"],
        field,
        args.overwrite,
    )
    for note in screened.notes:
        print(note, file=sys.stderr)
    print_suspects(screened.screens)
    print(f"{screened.suspects} of {len(screened.screens)} front(s) screened; {args.output}")
    return 0


def print_suspects(screens: list[str]) -> None:
    """How many fronts each rule caught."""
    counts = Counter(
        name for value in screens if value not in (OK, REVIEWED) for name in value.split(";")
    )
    for name in RULES:
        if counts[name]:
            print(f"  {name}: {counts[name]}")
