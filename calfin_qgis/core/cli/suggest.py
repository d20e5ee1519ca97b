"""The ``suggest`` subcommand: ``calfin suggest BATCH.gpkg [--count 5] [--glacier ID]
[--csv FILE]``: the scenes to correct in the review dock before fine-tuning (same core call
as calfin:suggest_corrections)."""

from __future__ import annotations

import argparse
import csv
import sys

from ..finetune.suggest import FIELDS, suggest
from ..geo import rasters
from .args import number


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "suggest",
        help="batch output → the scenes to correct first before fine-tuning",
        description="Per glacier, the most suspect scene of each span of the record: no "
        "front, then screened, then the largest uncertainty_m.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("batch", help="the GeoPackage a batch wrote (fronts and status)")
    parser.add_argument("--count", type=number(int, 1, 1000), default=5, help="scenes per glacier")
    parser.add_argument("--glacier", help="only this glacier_id")
    parser.add_argument("--csv", help="also write the list as CSV here")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing CSV")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.csv:
        rasters.check_destination(args.csv, args.overwrite)
    chosen, notes = suggest(args.batch, args.count, args.glacier)
    for note in notes:
        print(note, file=sys.stderr)
    rows = [{**vars(s), "date": s.date.isoformat()} for s in chosen]
    for row in rows:
        print(f"{row['glacier_id']}  {row['date']}  {row['image_id']}  {row['reason']}")
    if args.csv:
        with (
            rasters.atomic_output(args.csv, args.overwrite) as tmp,
            open(tmp, "w", newline="") as out,
        ):
            writer = csv.DictWriter(out, [name for name, _ in FIELDS])
            writer.writeheader()
            writer.writerows(rows)
    print(f"{len(rows)} scene(s) to correct; then: calfin finetune FRONTS --scenes FOLDER ...")
    return 0
