"""Measure fine-tuning on an unseen glacier (issue 22): the Jakobshavn validation twin,
fine-tuned on a few Jakobshavn scenes' manual fronts (as a labeller's accepted fronts),
then scored through the plugin's pipeline on the other Jakobshavn scenes and on the two
glaciers it was trained on (which must not get worse by more than 10 %).

    nice .venv/bin/python scripts/finetune_benchmark.py OUT --dates 19940829 19980630 \
        20000814 20010707 20020617 [--minutes 10] [--data ../shared/data/frontlearning/train]

Both what the plugin ships (the tuned pair averaged with the base's, ``runner.WITH_BASE``:
OUT/blend.onnx) and the tuned pair alone (OUT/tuned.onnx, written through the plugin's own
``finetune`` entry point, with its card) are scored, and the tuned pair with the twin's
no-front verdicts kept (post hoc). Also written: OUT/fronts.gpkg (the chosen scenes' 1-px
manual fronts as lines, in the pixel coordinates of the PNG scenes). The table gives, per
model, the pooled mean px and no-front count on the other Jakobshavn scenes, the mean over
the scenes where both the twin and the model find a front (common scenes), the scenes
better than the twin there, and the pooled means on Kangerlussuaq and Sverdrup. Replay
leaves Jakobshavn out (the twin never saw it). The twin's scores are cached per OUT.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from osgeo import ogr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import TRAIN, read_grey, score_folder  # noqa: E402

from calfin_qgis.core.detect.segmentation import DetectOptions  # noqa: E402
from calfin_qgis.core.evaluation.breakdown import glacier_of  # noqa: E402
from calfin_qgis.core.finetune import tuning, weights  # noqa: E402
from calfin_qgis.core.finetune.runner import fine_tune  # noqa: E402
from calfin_qgis.core.network.model import load_model  # noqa: E402
from calfin_qgis.core.products.naming import scene_id  # noqa: E402

TWIN = ROOT / "model" / "validation" / "calfin_unet_val_jakobshavn.onnx"
JAKOBSHAVN = "_0(08|09|10)011_"


def label_lines(label: np.ndarray) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The 1-px label as segments between 8-connected pixel centres, in the map coordinates
    the pipeline gives an image without georeferencing (x = col, y = -row,
    ``rasters.PIXEL_GEOTRANSFORM``): rasterised again they give back the label's pixels."""
    rows, cols = np.nonzero(label)
    on = set(zip(rows.tolist(), cols.tolist(), strict=True))
    segments = []
    for r, c in on:
        for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if (r + dr, c + dc) in on:
                segments.append(((c + 0.5, -r - 0.5), (c + dc + 0.5, -r - dr - 0.5)))
    return segments


def write_fronts(path: Path, images: list[Path], data: Path) -> None:
    """A fronts layer (image_id, qual_flag 0, one MultiLineString per scene), no CRS."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("fronts", None, ogr.wkbMultiLineString)
    layer.CreateField(ogr.FieldDefn("image_id", ogr.OFTString))
    layer.CreateField(ogr.FieldDefn("qual_flag", ogr.OFTInteger))
    for image in images:
        name = scene_id(image.name)
        label = read_grey(data / "labels_1px" / f"{name}_Front.png") < 128
        lines = ogr.Geometry(ogr.wkbMultiLineString)
        for (x0, y0), (x1, y1) in label_lines(label):
            line = ogr.Geometry(ogr.wkbLineString)
            line.AddPoint_2D(x0, y0)
            line.AddPoint_2D(x1, y1)
            lines.AddGeometry(line)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("image_id", name)
        feature.SetField("qual_flag", 0)
        feature.SetGeometry(lines)
        layer.CreateFeature(feature)
    ds = None


def scores_of(model_path: Path, data: Path, out: Path, match: str) -> dict:
    """Per-image pooled distances (None: no front) of a model through the pipeline, FLOW=up
    as the model card's figures (the subsets are turned so that ice flows up); cached."""
    cache = out / "scores.json"
    if cache.exists():
        return json.loads(cache.read_text())
    model, _ = load_model(model_path, "cpu")
    scores = score_folder(model, data, out, DetectOptions(flow="up"), match)
    found = {s.image_id: (s.distances_px.tolist() if s.found else None) for s in scores}
    cache.write_text(json.dumps(found))
    return found


def pooled(scores: dict, ids: list[str]) -> tuple[float, int]:
    found = [np.asarray(scores[i]) for i in ids if scores[i] is not None]
    mean = float(np.concatenate(found).mean()) if found else float("nan")
    return mean, len(ids) - len(found)


def compare(base: dict, model: dict, ids: list[str]) -> str:
    mean, no_front = pooled(model, ids)
    common = [i for i in ids if base[i] is not None and model[i] is not None]
    better = sum(np.mean(model[i]) < np.mean(base[i]) for i in common)
    return (
        f"pooled {mean:.2f} px, no-front {no_front}; common {len(common)} scenes "
        f"{pooled(model, common)[0]:.2f} px (twin {pooled(base, common)[0]:.2f}), "
        f"better {better}/{len(common)}"
    )


def tune(args: argparse.Namespace, chosen: list[Path]) -> None:
    """Fine-tune the twin on the chosen scenes' fronts (tuned.onnx) and average it with the
    twin (blend.onnx)."""
    fronts = args.out / "fronts.gpkg"
    fronts.unlink(missing_ok=True)
    write_fronts(fronts, chosen, args.data)
    start = time.time()
    result = fine_tune(
        fronts,
        args.data / "images",
        args.out / "tuned.onnx",
        args.minutes,
        TWIN,
        overwrite=True,
        exclude_replay=("jakobshavn",),
        with_base=False,  # the tuned pair alone; blend.onnx adds the twin (what ships)
        log=lambda kind, text: print(kind, text, flush=True),
    )
    print(
        f"fine-tune: {time.time() - start:.0f} s wall, steps {result.steps}, "
        f"{result.minutes:.2f} training minutes; held out {result.held_out}: twin "
        f"{result.base_score} ({result.base_no_front} no-front), tuned {result.tuned_score} "
        f"({result.tuned_no_front} no-front); worse={result.worse}",
        flush=True,
    )
    base_nets, meta = weights.load_members(TWIN)
    tuned_nets, tuned_meta = weights.load_members(result.output)
    weights.export([*base_nets, *tuned_nets], args.out / "blend.onnx", tuned_meta, "blend")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--dates", nargs="+", required=True, help="acquisition dates YYYYMMDD")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--data", type=Path, default=TRAIN)
    ap.add_argument("--replay-share", type=float, default=tuning.REPLAY_SHARE, help="of each batch")
    ap.add_argument("--twin-scores", type=Path, help="folder of the twin's cached scores")
    ap.add_argument("--report", action="store_true", help="only the table, from OUT's models")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    images = sorted((args.data / "images").glob("*.png"))
    jak = [p for p in images if re.search(JAKOBSHAVN, p.name)]
    chosen = [p for p in jak if p.name.split("_")[3] in args.dates]
    if len(chosen) != len(args.dates):
        sys.exit(f"found {len(chosen)} Jakobshavn scenes for {len(args.dates)} dates")
    if not args.report:
        tuning.REPLAY_SHARE = args.replay_share
        tune(args, chosen)
    given = {scene_id(p.name) for p in chosen}
    others = [scene_id(p.name) for p in jak if scene_id(p.name) not in given]
    twin_dir = args.twin_scores or args.out / "twin"
    rows = {}
    for name, path in (
        ("twin", TWIN),
        ("tuned", args.out / "tuned.onnx"),
        ("blend", args.out / "blend.onnx"),
    ):
        folder = twin_dir if name == "twin" else args.out / name
        rows[name] = {
            g: scores_of(Path(path), args.data, folder / g, match)
            for g, match in (("jakobshavn", JAKOBSHAVN), ("others", "^(?!.*_0(08|09|10)011_)"))
        }
    # the base model's verdict where it finds no front (post hoc: scenes are independent)
    rows["tuned, twin's no-front kept"] = {
        g: {i: (v if rows["twin"][g][i] is not None else None) for i, v in rows["tuned"][g].items()}
        for g in rows["tuned"]
    }
    for name, row in rows.items():
        other = sorted(row["others"])
        per = {g: [i for i in other if glacier_of(i) == g] for g in ("kangerlussuaq", "sverdrup")}
        print(
            f"{name:6} Jakobshavn other {len(others)}: "
            f"{compare(rows['twin']['jakobshavn'], row['jakobshavn'], others)} | "
            + " | ".join(
                f"{g} {pooled(row['others'], ids)[0]:.2f} px "
                f"({pooled(row['others'], ids)[1]} no-front)"
                for g, ids in per.items()
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
