"""The Python interpreter to start for QGIS's Python: pip installing the plugin's packages
(``deps_install``) and the batch's worker processes (``batch.executors``) must run the
interpreter whose library QGIS embeds, which inside QGIS is not ``sys.executable``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


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
