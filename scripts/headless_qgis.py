"""A headless QGIS with Processing and the calfin provider, for the scripts that run the
algorithms as a user would (``make demo``, ``make calfin_reference``)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def calfin_processing() -> Iterator[object]:
    """QGIS started, Processing initialised and the calfin provider loaded; yields the
    ``processing`` module (``processing.run``). Unloads and exits QGIS on leaving."""
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    import calfin_qgis

    plugin = calfin_qgis.classFactory(None)
    plugin.initProcessing()
    try:
        yield processing
    finally:
        plugin.unload()
        app.exitQgis()
