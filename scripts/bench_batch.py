"""Benchmark of the batch executors (called by ``make bench``): prints figures, asserts nothing.

1. Jobs per minute on the same real scenes (FrontLearning PNGs from ../shared/data, else the
   shipped sample ones, repeated to ``--jobs``) for one worker (in this process), two local
   worker processes and a Dask LocalCluster of two worker processes, and the ratios
   2-worker / 1-worker and Dask / local. Each executor first runs one job per worker (start-up:
   processes, model loads), timed apart; then the executors take turns for ``--rounds``
   rounds and the best round of each counts (the load of a shared machine drifts).
2. Peak memory of this (the client) process while the fronts of 1,000 finished jobs arrive
   through two local workers and through Dask: each job returns a front the size of a real
   one (a 2,000-vertex line as WKB plus attributes), which the loop drops as a writer would.

Usage: python scripts/bench_batch.py [--jobs 24] [--fronts 1000] [--rounds 2] [--no-dask]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calfin_qgis.core.batch import executors  # noqa: E402
from calfin_qgis.core.batch.planning import BatchJob  # noqa: E402
from calfin_qgis.core.batch.runner import detect  # noqa: E402
from calfin_qgis.core.detect.jobs import DetectJob  # noqa: E402
from calfin_qgis.core.products import sources  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "frontlearning" / "train" / "images"
SAMPLES = ROOT / "tests" / "data" / "frontlearning" / "images"


def synthetic_front(index: int, _cancelled=None) -> list[dict]:
    """A finished job's records without the work: a 2,000-vertex line and its attributes."""
    import shapely

    line = shapely.LineString([(index + i, (i * 7919) % 1000) for i in range(2000)])
    return [{"geometry": line.wkb, "image_id": f"scene{index}", "confidence": 0.9}]


def scene_jobs(count: int) -> list[BatchJob]:
    """The batch's own jobs (default settings, whole scene) on ``count`` real scenes, each
    resolved once here as the batch's plan does."""
    found = sorted(SHARED.glob("*.png")) or sorted(SAMPLES.glob("*.png"))
    resolved = {str(path): sources.open_source(str(path)) for path in found[:count]}
    paths = [str(found[i % len(found)]) for i in range(count)]
    return [BatchJob(path, DetectJob(path, source=resolved[path])) for path in paths]


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux from /proc (VmHWM): ``ru_maxrss``
    carries over the peak of the process that started this one (``make bench`` runs this
    script after the 8,000 px scene), so it measured that scene, not this client."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm_up(label: str, pool: executors.Executor, jobs: list[BatchJob], workers: int) -> None:
    """One job per worker: start the processes and load the model, timed apart."""
    start = time.perf_counter()
    for _, outcome in pool.map(detect, jobs[:workers]):
        if isinstance(outcome, executors.Failed):
            print(f"  {label}: a job failed: {outcome.reason}")
    print(f"  {label:34} start-up {time.perf_counter() - start:5.1f} s", flush=True)


def throughput(label: str, pool: executors.Executor, jobs: list[BatchJob]) -> float:
    """Jobs per minute of ``pool`` on ``jobs``."""
    start = time.perf_counter()
    outcomes = [o for _, o in pool.map(detect, jobs)]
    seconds = time.perf_counter() - start
    fronts = sum(len(o.records) for o in outcomes if not isinstance(o, executors.Failed))
    rate = 60 * len(jobs) / seconds
    print(
        f"  {label:34} {rate:6.1f} jobs/min  ({len(jobs)} jobs in {seconds:5.1f} s, "
        f"{fronts} fronts)",
        flush=True,
    )
    return rate


def client_memory(label: str, pool: executors.Executor, count: int) -> None:
    """Peak RSS of this process after 100 and after ``count`` arrived fronts."""
    before = peak_rss_mb()
    after_100 = before
    for arrived, _ in enumerate(pool.map(synthetic_front, range(count)), start=1):
        if arrived == 100:
            after_100 = peak_rss_mb()
    print(
        f"  {label:34} client peak RSS {before:5.0f} MB before, {after_100:5.0f} MB after 100, "
        f"{peak_rss_mb():5.0f} MB after {count} fronts",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=24, help="scenes to detect per executor")
    parser.add_argument("--fronts", type=int, default=1000, help="jobs of the memory check")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per executor")
    args = parser.parse_args()

    os.environ.pop(executors.THREADS_ENV, None)
    jobs = scene_jobs(args.jobs)
    print(
        f"\n== batch executors: {len(jobs)} jobs ({Path(jobs[0].source).parent}, "
        f"{len({job.source for job in jobs})} distinct scenes), {executors.cpu_count()} cores"
    )
    # The client's memory first, before this process loads a model itself (1 worker).
    with contextlib.ExitStack() as stack:
        pools = {"2 local worker processes": stack.enter_context(executors.open_executor(2))}
        if not args.no_dask:
            dask = executors.open_executor(2, scheduler="local")
            pools["Dask LocalCluster, 2 workers"] = stack.enter_context(dask)
        for label, pool in pools.items():
            client_memory(label, pool, args.fronts)
        pools["1 worker (in this process)"] = stack.enter_context(executors.open_executor(1))
        for label, pool in pools.items():
            warm_up(label, pool, jobs, 1 if isinstance(pool, executors.InProcess) else 2)
        # Rounds in turn, the best of each: the load of a shared machine drifts.
        rates = {label: 0.0 for label in pools}
        for _ in range(args.rounds):
            for label, pool in pools.items():
                rates[label] = max(rates[label], throughput(label, pool, jobs))
    local, one = rates["2 local worker processes"], rates["1 worker (in this process)"]
    print(f"  best rounds: {', '.join(f'{label} {rate:.1f}' for label, rate in rates.items())}")
    print(f"  ratio 2 workers / 1 worker   {local / one:.2f}")
    if not args.no_dask:
        print(f"  ratio Dask / local (2 each)  {rates['Dask LocalCluster, 2 workers'] / local:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
