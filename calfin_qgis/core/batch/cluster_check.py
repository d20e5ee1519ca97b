"""Check a Dask cluster before the batch uses it: can its scheduler and every worker import
calfin_qgis and its packages, at the versions this machine has?

Current Dask unpickles the task graph on the scheduler too, so a scheduler started without
the package fails every job with "Error during deserialization of the task graph"; a
worker without it, or with another numpy, fails them one by one. Asking first turns that
into one line naming what is missing where, before any output is opened.

The probe is compiled from source here, so cloudpickle sends it by value: it runs on a
scheduler that cannot import calfin_qgis, which is the case it has to report.
"""

from __future__ import annotations

from ..errors import InputError

PACKAGES = ("numpy", "osgeo", "onnxruntime", "skimage", "scipy", "shapely")
"""The third-party packages a job imports; their versions must match this machine's."""
JOB_MODULE = "calfin_qgis.core.batch.runner"
"""What the scheduler and the workers unpickle the jobs with."""

_PROBE_SOURCE = '''
def probe(modules):
    """{module: version, or 'missing: reason'} where this runs."""
    import importlib
    found = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as err:
            found[name] = "missing: " + (str(err) or type(err).__name__)
            continue
        if name == "osgeo":
            from osgeo import gdal
            module = gdal
        found[name] = str(getattr(module, "__version__", ""))
    return found
'''


def _probe():
    namespace: dict = {"__name__": "calfin_cluster_probe"}
    exec(compile(_PROBE_SOURCE, "<calfin cluster probe>", "exec"), namespace)  # noqa: S102
    return namespace["probe"]


def problems(place: str, found: dict[str, str], here: dict[str, str]) -> list[str]:
    """What ``place`` lacks or has at another version than this machine."""
    out = []
    for name, version in found.items():
        if version.startswith("missing: "):
            package = "calfin_qgis" if name == JOB_MODULE else name
            out.append(f"{place} cannot import {package} ({version.removeprefix('missing: ')})")
        elif version != here.get(name):
            out.append(f"{place} has {name} {version}, this machine {here.get(name)}")
    return out


def check_cluster(client, address: str) -> None:
    """Refuse a cluster whose scheduler or workers cannot run the jobs, in one line."""
    probe = _probe()
    modules = [JOB_MODULE, *PACKAGES]
    here = probe(modules)
    found = [("the scheduler", client.run_on_scheduler(probe, modules))]
    found += sorted(
        (f"worker {worker}", result) for worker, result in client.run(probe, modules).items()
    )
    wrong = [line for place, result in found for line in problems(place, result, here)]
    if wrong:
        raise InputError(
            f"The Dask cluster at {address} cannot run calfin jobs: {'; '.join(wrong)}. "
            "Install calfin_qgis (pip install -e <calfin checkout>) and the same package "
            "versions on the scheduler and every worker, or start both with "
            "PYTHONPATH=<calfin checkout> (README: Thousands of scenes)."
        )
