"""The pip command that installs the missing dependencies (``deps.check``) into the plugin's
folder, pinned so that pip keeps QGIS's numpy and the packages already importable; and the
message that names it. Used by the install dialog, ``make install`` and the provider."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from .core.interpreter import python_executable
from .deps import (
    GPU_REQUIREMENT,
    OPTIONAL,
    OPTIONAL_PINS,
    PULLS_IN,
    REQUIRED,
    TORCH_CPU_INDEX,
    Dependency,
    current_folder,
    distribution_name,
    optional_missing,
)


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
            pin = series_requirement(distribution_name(REQUIRED[pulled][0]), present.get(pulled))
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
