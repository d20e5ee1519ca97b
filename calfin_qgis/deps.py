"""Which of the plugin's Python dependencies are importable, and how to get the rest.

Imported by the provider before any heavy package, so it must itself need only the
standard library (no qgis either: ``scripts/install.py`` runs it with a plain Python, and it
runs as a script, ``python3 deps.py [--folder DIR] [--json]``, to print the report).

The plugin owns a dependency folder inside the user's QGIS profile,
``<profile>/python/calfin_qgis_deps`` (see :func:`deps_folder`). The install dialog and
``make install`` put missing packages there with ``pip install --target``, and the plugin
appends it to ``sys.path`` when it loads, before anything imports onnxruntime or skimage.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
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


def _distribution_name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]


def _distribution_version(requirement: str) -> str | None:
    name = _distribution_name(requirement)
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


def python_executable() -> str:
    """The Python interpreter that runs pip for QGIS's Python, as a path.

    Inside QGIS ``sys.executable`` is not always the right Python: on Windows (OSGeo4W,
    standalone installer) it is ``qgis-bin.exe``, on macOS often the QGIS app binary, and
    with the Python embedded in QGIS on Linux it is whatever ``python3`` comes first on PATH
    (e.g. a pyenv shim of another Python version) - ``-m pip`` with those would start another
    QGIS or install for the wrong Python. Packages for ``--target`` must match QGIS's Python
    version, so take the first that is called ``python*`` and exists of: ``sys.executable``
    when it lies inside ``sys.prefix`` (a venv, or a plain Python); the interpreter inside
    ``sys.prefix`` / ``sys.base_exec_prefix`` (Debian: /usr/bin/python3.11, the interpreter
    whose library QGIS embeds; OSGeo4W: ``apps/Python3x/python.exe``; macOS: inside the app
    bundle); ``sys._base_executable``; then ``python3.X`` / ``python3`` on PATH.
    """
    major, minor = sys.version_info[:2]
    candidates = []
    if _inside(sys.executable, sys.prefix):
        candidates.append(sys.executable)
    for prefix in dict.fromkeys((sys.prefix, sys.exec_prefix, sys.base_exec_prefix)):
        root = Path(prefix)
        candidates += [
            root / "bin" / f"python{major}.{minor}",
            root / "bin" / "python3",
            root / "python.exe",
            root / "python3.exe",
        ]
    candidates += [
        getattr(sys, "_base_executable", ""),
        shutil.which(f"python{major}.{minor}") or "",
        shutil.which("python3") or "",
    ]
    for candidate in candidates:
        path = Path(candidate)
        if str(candidate) and path.name.lower().startswith("python") and path.is_file():
            return str(candidate)
    return "python3"


def _inside(path: str, prefix: str) -> bool:
    try:
        return bool(path) and Path(path).absolute().is_relative_to(Path(prefix).absolute())
    except (OSError, ValueError):
        return False


def series_requirement(distribution: str, version: str | None) -> str | None:
    """``scipy==1.10.*`` for scipy 1.10.1: the series of the copy that will be imported."""
    match = re.match(r"(\d+)\.(\d+)", version or "")
    return f"{distribution}=={match.group(1)}.{match.group(2)}.*" if match else None


def numpy_requirement(numpy_version: str | None) -> str:
    """A pin that keeps pip's resolution on the numpy QGIS already has.

    QGIS's numpy (1.x on QGIS 3.22-3.34; GDAL's bindings are built against it) is the one
    that will be imported, so pip must pick onnxruntime/scikit-image versions that work
    with it: ``numpy==1.24.*`` for numpy 1.24.2 (always below 2 for a 1.x numpy); plain
    ``numpy<2`` when the version is unknown.
    """
    return series_requirement("numpy", numpy_version) or "numpy<2"


def requirements(
    packages,
    gpu: bool = False,
    numpy_version: str | None = None,
    present: dict[str, str | None] | None = None,
) -> list[str]:
    """Pinned pip requirements for ``packages`` (Dependency objects or import names).

    ``present`` (import name: version) holds the required packages that already import:
    those a missing one pulls in (``PULLS_IN``) are pinned to their series, so that pip
    neither fetches a newer copy nor picks a package that needs one.
    """
    modules = []
    for package in packages:
        module = package.module if isinstance(package, Dependency) else str(package)
        if module not in REQUIRED:
            raise ValueError(f"unknown dependency {module!r}; known: {', '.join(REQUIRED)}")
        modules.append(module)
    reqs = [
        GPU_REQUIREMENT if gpu and module == "onnxruntime" else REQUIRED[module][0]
        for module in modules
    ]
    present = present or {}
    for module in modules:
        for pulled in PULLS_IN.get(module, ()):
            pin = series_requirement(_distribution_name(REQUIRED[pulled][0]), present.get(pulled))
            if pulled not in modules and pin and pin not in reqs:
                reqs.append(pin)
    reqs.append(numpy_requirement(numpy_version))
    return reqs


def _qgis_numpy_version() -> str | None:
    """numpy's version here, without importing it when it is not already imported."""
    if "numpy" in sys.modules:
        return str(getattr(sys.modules["numpy"], "__version__", "")) or None
    try:
        return importlib.metadata.version("numpy")
    except importlib.metadata.PackageNotFoundError:
        return None


def pip_command(
    packages,
    target: str | os.PathLike,
    gpu: bool = False,
    *,
    python: str | None = None,
    numpy_version: str | None = "auto",
    present: dict[str, str | None] | None = None,
    fine_tuning: bool = False,
) -> list[str]:
    """The pip command that installs ``packages`` into ``target`` (nothing is run here).

    ``fine_tuning`` adds the optional packages (``OPTIONAL``) that are missing, PyTorch's
    CPU build from its own index.

    ``numpy_version="auto"`` pins numpy to this Python's numpy series (see
    :func:`numpy_requirement`); ``present`` pins what the packages pull in (see
    :func:`requirements`); ``gpu`` installs onnxruntime-gpu instead of onnxruntime.
    ``--target`` also skips pip's PEP 668 "externally managed" refusal on Debian 12.
    """
    if numpy_version == "auto":
        numpy_version = _qgis_numpy_version()
    extra = []
    if fine_tuning and optional_missing():
        extra = ["--extra-index-url", TORCH_CPU_INDEX]
        extra += [OPTIONAL[module][0] for module in optional_missing()] + list(OPTIONAL_PINS)
    return [
        python or python_executable(),
        "-m",
        "pip",
        "install",
        "--target",
        str(Path(target).expanduser()),
        "--upgrade-strategy",
        "only-if-needed",
        "--prefer-binary",
        "--disable-pip-version-check",
        "--no-input",
        *requirements(packages, gpu, numpy_version, present),
        *extra,
    ]


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
    modules = {_normal(_distribution_name(req)): m for m, (req, _) in REQUIRED.items()}
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


def command_line(command: list[str]) -> str:
    """``command`` as one line to paste into a terminal (cmd.exe quoting on Windows)."""
    if os.name == "nt":
        return subprocess.list2cmdline(command)
    return shlex.join(command)


def missing_message(deps: list[Dependency]) -> str:
    """A message that names the missing packages and the command that installs them."""
    names = ", ".join(f"{d.module} ({d.purpose}{'; ' + d.error if d.error else ''})" for d in deps)
    folder = current_folder()
    if folder is not None:
        command = command_line(pip_command([d.module for d in deps], folder))
        where = f"then restart QGIS (packages go to {folder})"
    else:
        reqs = " ".join(shlex.quote(r) for r in requirements([d.module for d in deps]))
        command = f"python3 -m pip install --user {reqs}"
        where = "then restart QGIS"
    return (
        f"Missing Python packages: {names}. Install them from the CALFIN plugin menu "
        f"(Plugins > CALFIN > Install dependencies…) or run: {command} ; {where}."
    )


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
