"""Which of the plugin's Python dependencies are importable, and how to get the rest.

Imported by the provider before any heavy package, so it must itself need only the
standard library.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

REQUIRED = {
    # import name: (pip requirement, what it is for)
    "onnxruntime": ("onnxruntime>=1.17,<2", "runs the neural network"),
    "skimage": ("scikit-image>=0.22,<0.25", "preprocessing and front extraction"),
    "scipy": ("scipy>=1.10,<1.14", "filters and graphs"),
    "shapely": ("shapely>=2.0,<3", "front geometries"),
}


@dataclass(frozen=True)
class Dependency:
    module: str
    requirement: str
    purpose: str
    version: str | None

    @property
    def found(self) -> bool:
        return self.version is not None


def check() -> list[Dependency]:
    """Report every required package with its version, or None when it is missing."""
    report = []
    for module, (requirement, purpose) in REQUIRED.items():
        version = None
        if importlib.util.find_spec(module) is not None:
            try:
                version = getattr(importlib.import_module(module), "__version__", "unknown")
            except ImportError:
                version = None
        report.append(Dependency(module, requirement, purpose, version))
    return report


def missing() -> list[Dependency]:
    return [dep for dep in check() if not dep.found]


def missing_message(deps: list[Dependency]) -> str:
    """A message that names the missing packages and the command that installs them."""
    names = ", ".join(f"{d.module} ({d.purpose})" for d in deps)
    reqs = " ".join(f'"{d.requirement}"' for d in deps)
    return (
        f"Missing Python packages: {names}. Install them from the CALFIN plugin menu "
        f"(Plugins > CALFIN > Install dependencies) or run: python3 -m pip install --user {reqs}"
    )
