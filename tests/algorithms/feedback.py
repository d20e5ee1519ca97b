"""A Processing feedback that keeps what an algorithm logs, for the tests to read."""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


class Log(QgsProcessingFeedback):
    """Feedback that keeps the info and warning lines an algorithm logs."""

    def __init__(self) -> None:
        super().__init__()
        self.info: list[str] = []
        self.warnings: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        self.info.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning: str) -> None:  # noqa: N802 - QGIS API
        self.warnings.append(warning)
        super().pushWarning(warning)
