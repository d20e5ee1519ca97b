"""Which of the plugin's Python dependencies are importable (the pip command that gets the
rest: ``deps_install``).

Imported by the provider before any heavy package, so it must itself need only the
standard library (no qgis either: ``scripts/install.py`` runs it with a plain Python, and it
runs as a script, ``python3 deps.py [--folder DIR] [--json]``, to print the report).

The plugin owns a dependency folder inside the user's QGIS profile,
``<profile>/python/calfin_qgis_deps`` (see :func:`deps_folder`). The install dialog and
``make install`` put missing packages there with ``pip install --target`` (``deps_install``),
and the plugin appends it to ``sys.path`` when it loads, before anything imports
onnxruntime or skimage.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REQUIRED = {
    # import name: (pip requirement, what it is for)
    "onnxruntime": ("onnxruntime>=1.17,<2", "runs the neural network"),
    "skimage": ("scikit-image>=0.22,<0.25", "preprocessing and front extraction"),
    "scipy": ("scipy>=1.10,<1.14", "filters and graphs"),
    "shapely": ("shapely>=2.0,<2.1", "front geometries"),  # 2.1: 4-D WKT, GEOS 3.11 rejects
}
# Optional: only calfin:fine_tune_model needs them; offered by the install dialog, never
# required. The CPU build of PyTorch (about 200 MB) comes from PyTorch's own index.
OPTIONAL = {
    "torch": ("torch>=2.2", "fine-tuning the model on your fronts (calfin:fine_tune_model)"),
    "onnx": ("onnx>=1.15", "reading and writing fine-tuned models"),
}
OPTIONAL_PINS = ("ml_dtypes<0.6",)  # onnx's ml_dtypes>=0.6 would pull numpy 2
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Packages that come with QGIS itself; reported, never installed by us.
PROVIDED = {"numpy": "arrays (comes with QGIS)", "osgeo": "GDAL bindings (comes with QGIS)"}
# With the GPU runtime, onnxruntime's requirement is swapped for this one (same import name).
GPU_REQUIREMENT = "onnxruntime-gpu>=1.17,<2"
# Required packages that another one pulls in: pip must resolve against the copy that is
# already importable instead of fetching the newest (scikit-image needs scipy).
PULLS_IN = {"skimage": ("scipy",)}

FOLDER_NAME = "calfin_qgis_deps"
FOLDER_ENV = "CALFIN_DEPS_DIR"  # overrides the folder (tests, unusual setups)

_folder: Path | None = None  # the folder add_to_sys_path() added, for messages


@dataclass(frozen=True)
class Dependency:
    module: str
    requirement: str
    purpose: str
    version: str | None
    error: str | None = None  # why a package that is present failed to import

    @property
    def found(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class CudaStatus:
    """Whether onnxruntime can run on an NVIDIA GPU here."""

    onnxruntime: str | None  # version, None when onnxruntime does not import
    distribution: str | None  # "onnxruntime" or "onnxruntime-gpu"
    providers: tuple[str, ...]  # onnxruntime.get_available_providers()
    usable: bool  # CUDAExecutionProvider is among them
    gpu_present: bool  # nvidia-smi is on PATH (a driver is installed)
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


# --- the folder -----------------------------------------------------------------------------


def deps_folder(profile_dir: str | os.PathLike) -> Path:
    """The plugin-owned dependency folder of a QGIS profile, or $CALFIN_DEPS_DIR when set.

    ``profile_dir`` is ``QgsApplication.qgisSettingsDirPath()`` inside QGIS (e.g.
    ``~/.local/share/QGIS/QGIS3/profiles/default``); taken as a parameter so that this
    module stays importable without qgis.
    """
    override = os.environ.get(FOLDER_ENV)
    if override:
        return Path(override).expanduser()
    return Path(profile_dir).expanduser() / "python" / FOLDER_NAME


def add_to_sys_path(folder: str | os.PathLike) -> bool:
    """Make packages installed into ``folder`` importable; True when it was added now.

    The folder goes to the *end* of ``sys.path``: ``pip install --target`` also puts the
    dependencies' own dependencies there (numpy among them), and QGIS's numpy, against which
    GDAL is built, must keep winning. The folder need not exist yet (the install dialog
    creates it). Idempotent.
    """
    global _folder
    path = str(Path(folder).expanduser())
    _folder = Path(path)
    importlib.invalidate_caches()
    if path in sys.path:
        return False
    sys.path.append(path)
    return True


def current_folder() -> Path | None:
    """The folder that :func:`add_to_sys_path` added, if any."""
    return _folder


# --- the check ------------------------------------------------------------------------------


def _find_spec(module: str):
    """``importlib.util.find_spec`` that never raises (tests monkeypatch this)."""
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


def _import_version(module: str) -> tuple[str | None, str | None]:
    """(version, error) of an importable module; ("unknown", None) when it has no version."""
    try:
        mod = importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 - a broken binary raises all sorts
        return None, f"{type(err).__name__}: {err}"
    return str(getattr(mod, "__version__", "unknown")), None


def check(import_modules: bool = True) -> list[Dependency]:
    """Report every required package with its version, or None when it is missing.

    With ``import_modules`` (the default) each package is imported, so a package that is
    present but broken (wrong numpy ABI, missing shared library) counts as missing, with
    the reason in ``error``. Without it only ``find_spec`` is asked (fast, for plugin load)
    and the version comes from the package metadata when there is one.
    """
    report = []
    for module, (requirement, purpose) in REQUIRED.items():
        version = error = None
        if _find_spec(module) is not None:
            if import_modules:
                version, error = _import_version(module)
            else:
                version = _distribution_version(requirement) or "unknown"
        report.append(Dependency(module, requirement, purpose, version, error))
    return report


def provided() -> dict[str, str | None]:
    """Versions of the packages QGIS brings (numpy, GDAL), None when missing."""
    out = {}
    for module in PROVIDED:
        if _find_spec(module) is None:
            out[module] = None
        elif module == "osgeo":
            try:
                from osgeo import gdal

                out[module] = gdal.__version__
            except Exception:  # noqa: BLE001
                out[module] = None
        else:
            out[module] = _import_version(module)[0]
    return out


def missing(import_modules: bool = True) -> list[Dependency]:
    """The required packages that are not importable (see :func:`check`)."""
    return [dep for dep in check(import_modules) if not dep.found]


def optional_missing() -> list[str]:
    """The optional fine-tuning packages (``OPTIONAL``) that are not importable."""
    return [module for module in OPTIONAL if _find_spec(module) is None]


def distribution_name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]


def _distribution_version(requirement: str) -> str | None:
    name = distribution_name(requirement)
    for dist in (name, "onnxruntime-gpu") if name == "onnxruntime" else (name,):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def cuda_status() -> CudaStatus:
    """Whether onnxruntime lists CUDAExecutionProvider; imports onnxruntime only when called."""
    gpu_present = shutil.which("nvidia-smi") is not None
    distribution = None
    for dist in ("onnxruntime-gpu", "onnxruntime"):
        try:
            importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        distribution = dist
        break
    if _find_spec("onnxruntime") is None:
        return CudaStatus(None, None, (), False, gpu_present, "onnxruntime is not installed")
    try:
        import onnxruntime

        providers = tuple(onnxruntime.get_available_providers())
        version = str(getattr(onnxruntime, "__version__", "unknown"))
    except Exception as err:  # noqa: BLE001
        return CudaStatus(
            None, distribution, (), False, gpu_present, f"onnxruntime fails to import: {err}"
        )
    usable = "CUDAExecutionProvider" in providers
    if usable:
        detail = "CUDA is usable: onnxruntime lists CUDAExecutionProvider"
    elif gpu_present:
        detail = (
            "an NVIDIA GPU is present but this onnxruntime has no CUDA support; install the "
            "GPU runtime (onnxruntime-gpu) to use it"
        )
    else:
        detail = "no CUDA: runs on the CPU"
    return CudaStatus(version, distribution, providers, usable, gpu_present, detail)


# --- installing -----------------------------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_from_outside(module: str, folder: Path) -> bool:
    """``module`` imports, and not from ``folder``."""
    try:
        mod = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a broken binary raises all sorts
        return False
    origin = getattr(mod, "__file__", None)
    return bool(origin) and not Path(origin).resolve().is_relative_to(folder)


def prune(target: str | os.PathLike) -> list[str]:
    """Remove from ``target`` the copies of numpy and required packages that import from
    elsewhere anyway; return their distribution names.

    ``pip install --target`` ignores what is installed elsewhere, so it also puts numpy and
    scipy into the folder as dependencies (about 220 MB with QGIS 3.22 on Debian 12). The
    folder sits at the end of ``sys.path``, so those copies are never imported. Run in
    QGIS's Python (``deps.py --prune``).
    """
    target = Path(target).expanduser().resolve()
    modules = {_normal(distribution_name(req)): m for m, (req, _) in REQUIRED.items()}
    modules["numpy"] = "numpy"
    removed = []
    for dist in importlib.metadata.distributions(path=[str(target)]):
        name = dist.metadata["Name"] or ""
        module = modules.get(_normal(name))
        if module is None or not _imported_from_outside(module, target):
            continue
        folders = set()
        for file in dist.files or []:  # RECORD: the package, its .libs and the .dist-info
            path = (target / file).resolve()
            if path.is_relative_to(target) and path != target:
                path.unlink(missing_ok=True)
                folders.update(p for p in path.parents if p.is_relative_to(target) and p != target)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        removed.append(name)
    return removed


# --- command line ---------------------------------------------------------------------------


def report(folder: str | os.PathLike | None = None) -> dict:
    """Everything the check knows, as JSON-friendly data (``python3 deps.py --json``)."""
    if folder is not None:
        add_to_sys_path(folder)
    return {
        "python": sys.executable,
        "python_version": ".".join(map(str, sys.version_info[:3])),
        "folder": str(folder) if folder is not None else None,
        "required": [asdict(d) | {"found": d.found} for d in check()],
        "provided": provided(),
        "cuda": cuda_status().as_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Report calfin_qgis's Python dependencies.")
    parser.add_argument("--folder", help="the plugin's dependency folder to add to sys.path")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--prune", action="store_true", help="first remove the folder's needless copies (prune)"
    )
    args = parser.parse_args(argv)
    if args.prune and not args.folder:
        parser.error("--prune needs --folder (the dependency folder to clean)")
    if args.prune:
        for name in prune(args.folder):
            print(f"removed {name} from {args.folder}: it imports from elsewhere", file=sys.stderr)
    data = report(args.folder)
    if args.json:
        print(json.dumps(data))
    else:
        for dep in data["required"]:
            state = dep["version"] or f"MISSING ({dep['error'] or dep['requirement']})"
            print(f"{dep['module']:12} {state}")
        for module, version in data["provided"].items():
            print(f"{module:12} {version or 'MISSING (comes with QGIS)'}")
        print(f"{'cuda':12} {data['cuda']['detail']}")
    return 0 if all(d["found"] for d in data["required"]) else 1


if __name__ == "__main__":
    sys.exit(main())
