"""The QGIS plugin object: registers the Processing provider and the review dock."""

from __future__ import annotations

from qgis.core import QgsApplication

from .processing.provider import CalfinProvider


class CalfinPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: CalfinProvider | None = None

    def initProcessing(self) -> None:  # noqa: N802 - QGIS API
        """Called by QGIS (also by qgis_process, which has no GUI) to register the provider."""
        if self.provider is None:
            self.provider = CalfinProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
