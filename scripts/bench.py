"""Benchmark of the detection pipeline (``make bench``): prints figures, asserts nothing.

For a generated Landsat-size scene (8,000 x 8,000 px uint16, nodata borders, EPSG:32622;
cached in bench_data/) and for the shipped sample scene it prints:

- throughput of the whole pipeline (read, preprocess, infer, blend, extract, write of the
  fronts, as ``detect`` does) in megapixels of scene per second;
- the same tiles (same count, shape and batch size, same onnxruntime session and thread
  settings) through a bare ``InferenceSession.run`` loop: the limit for this model here;
- the ratio pipeline / bare, time per stage, and the peak resident memory;
- then the batch executors (``scripts/bench_batch.py``): jobs per minute on 1 and 2 local
  workers and a Dask LocalCluster, and the client's memory while 1,000 fronts arrive.

``--quick`` (run by the tests, so that this script keeps working): the sample scene once,
nothing else.

Usage: python scripts/bench.py [--size 8000] [--repeat 10] [--skip-full] [--skip-batch]
       [--threads N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from calfin_qgis.core import schema  # noqa: E402
from calfin_qgis.core.detect.picking import extract  # noqa: E402
from calfin_qgis.core.detect.segmentation import DetectOptions, front_records, segment  # noqa: E402
from calfin_qgis.core.geo import rasters, vectors  # noqa: E402
from calfin_qgis.core.network.model import default_model_path, load_model  # noqa: E402
from calfin_qgis.core.products import sources  # noqa: E402
from calfin_qgis.core.timing import StageTimer  # noqa: E402

DATA = ROOT / "bench_data"
SAMPLE = ROOT / "tests" / "data" / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Subset.tif"
STAGES = ("read", "preprocess", "infer", "blend", "extract", "write")


class CountingSession:
    """Wraps the onnxruntime session to record the batch shapes the pipeline runs."""

    def __init__(self, session) -> None:
        self.session = session
        self.shapes: list[tuple[int, ...]] = []

    def run(self, outputs, feeds):
        (batch,) = feeds.values()
        self.shapes.append(tuple(batch.shape))
        return self.session.run(outputs, feeds)

    def __getattr__(self, name):
        return getattr(self.session, name)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scene_path(size: int) -> Path:
    from scenes import make_scene

    path = DATA / f"LC08_L1TP_008011_20200712_20200722_01_T1_B5_{size}.tif"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        print(f"generating {path.relative_to(ROOT)} ({size} x {size} uint16) ...", flush=True)
        tmp = path.with_suffix(".part.tif")
        make_scene(tmp, size, size)
        os.replace(tmp, path)
    return path


def run_pipeline(model, path: Path, options: DetectOptions, folder: Path) -> dict:
    """detect as the CLI does it; returns seconds per stage and in total, and the tiles."""
    counter = CountingSession(model.session)
    model.session = counter
    try:
        start = time.perf_counter()
        source = sources.open_source(str(path), options.band)
        scene = source.scene
        result = segment(model, scene, options)
        timer: StageTimer = result.timer
        fronts = extract(result, options, timer)
        with timer.stage("write"):
            records = front_records(fronts, scene, source.metadata, model.info.source)
            vectors.write_fronts(
                folder / "fronts.gpkg", records, schema.FRONT_FIELDS, scene.crs_wkt, overwrite=True
            )
        total = time.perf_counter() - start
    finally:
        model.session = counter.session
    return {
        "total": total,
        "stages": dict(timer.seconds),
        "shapes": counter.shapes,
        "pixels": scene.width * scene.height,
        "fronts": len(fronts),
        "result": result,
    }


def run_bare(model, shapes: list[tuple[int, ...]]) -> float:
    """The same batches through session.run on ready-made contiguous float32 arrays."""
    rng = np.random.default_rng(0)
    inputs = {s: rng.random(s, dtype=np.float32) for s in set(shapes)}
    name = model.info.input_name
    session = model.session
    start = time.perf_counter()
    for shape in shapes:
        session.run(None, {name: inputs[shape]})
    return time.perf_counter() - start


def report(label: str, run: dict, bare: float, repeat: int = 1) -> None:
    mpx = run["pixels"] / 1e6
    seconds = run["total"] / repeat
    tiles = sum(s[0] for s in run["shapes"]) // repeat
    tile_px = sum(int(np.prod(s)) // s[1] for s in run["shapes"]) / repeat / 1e6
    print(
        f"\n== {label}: {run['pixels'] // 1_000_000 or run['pixels']} "
        f"{'Mpx' if run['pixels'] >= 1e6 else 'px'}, {run['fronts']} front(s)"
    )
    print(f"  pipeline         {seconds:8.2f} s  {mpx / seconds:6.3f} Mpx/s")
    print(
        f"  bare ORT loop    {bare / repeat:8.2f} s  {mpx / (bare / repeat):6.3f} Mpx/s  "
        f"({tiles} tiles in {len(run['shapes']) // repeat} batches, "
        f"{tile_px:.1f} Mpx of tiles = {tile_px / mpx:.2f} x the scene)"
    )
    print(f"  ratio pipeline / bare  {bare / run['total']:.2f}")
    print(f"  model alone      {tile_px / (bare / repeat):6.3f} Mpx/s of tiles")
    stages = run["stages"]
    accounted = sum(stages.get(s, 0.0) for s in STAGES)
    print(
        "  stages (s):     "
        + "  ".join(f"{s} {stages.get(s, 0.0) / repeat:.2f}" for s in STAGES)
        + f"  other {(run['total'] - accounted) / repeat:.2f}"
    )


def bench_sample(model, options: DetectOptions, folder: Path, repeat: int) -> None:
    """The shipped sample scene ``repeat`` times after a warm-up (the first session.run
    allocates the arena), against the bare loop."""
    run_pipeline(model, SAMPLE, options, folder)
    runs = [run_pipeline(model, SAMPLE, options, folder) for _ in range(repeat)]
    merged = {
        "total": sum(r["total"] for r in runs),
        "stages": {s: sum(r["stages"].get(s, 0.0) for r in runs) for s in STAGES},
        "shapes": [s for r in runs for s in r["shapes"]],
        "pixels": runs[0]["pixels"],
        "fronts": runs[0]["fronts"],
    }
    bare = run_bare(model, merged["shapes"])
    report(f"sample scene {SAMPLE.name} x {repeat}", merged, bare, repeat)
    print(f"  peak RSS so far {peak_rss_mb():.0f} MB")


def bench_generated(model, options: DetectOptions, folder: Path, size: int) -> None:
    """The generated Landsat-size scene once, and the optional probability raster write."""
    path = scene_path(size)
    run = run_pipeline(model, path, options, folder)
    result = run.pop("result")
    start = time.perf_counter()
    rasters.write_raster(
        folder / "probs.tif",
        result.probs,
        result.geotransform,
        result.scene.crs_wkt,
        model.info.outputs,
        nodata=float("nan"),
        overwrite=True,
    )
    probs_write = time.perf_counter() - start
    del result
    bare = run_bare(model, run["shapes"])
    report(f"generated scene {path.name}", run, bare)
    print(f"  optional probability raster write {probs_write:.2f} s (not in the pipeline)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8000, help="edge of the generated scene")
    parser.add_argument("--repeat", type=int, default=10, help="runs of the sample scene")
    parser.add_argument("--skip-full", action="store_true", help="only the sample scene")
    parser.add_argument("--skip-batch", action="store_true", help="no executors section")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--batch-size", type=int, default=DetectOptions.batch_size)
    parser.add_argument(
        "--quick", action="store_true", help="the sample scene once, nothing else (CI)"
    )
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.skip_full, args.skip_batch = 1, True, True

    model_file = default_model_path()
    if not model_file.exists():
        print(f"no model at {model_file}: ship model/calfin_unet.onnx or set CALFIN_MODEL")
        return 1
    model, messages = load_model(model_file, "cpu", threads=args.threads)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, python "
        f"{platform.python_version()}; {messages[-1]}"
    )
    print(
        f"model file: {model_file}; batch size {args.batch_size}; threads "
        f"{args.threads or 'onnxruntime default'}"
    )
    busy = subprocess.run(["pgrep", "-f", "train.py"], capture_output=True, text=True).stdout
    if [pid for pid in busy.split() if int(pid) != os.getpid()]:
        print("WARNING: a training process is running: figures are measured under load")
    options = DetectOptions(batch_size=args.batch_size)

    with tempfile.TemporaryDirectory() as tmp:
        bench_sample(model, options, Path(tmp), args.repeat)
        if not args.skip_full:
            bench_generated(model, options, Path(tmp), args.size)
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")
    if not args.skip_batch:  # its own process: its client memory is not this one's peak
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_batch.py")]).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
