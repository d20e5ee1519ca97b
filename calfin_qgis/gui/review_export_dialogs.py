"""The dock's exports: reviewed fronts to a GeoPackage and label images, with their dialogs.

A mixin of ``ReviewDock``; the writing itself is in ``review_export``.
"""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtWidgets import QFileDialog

from .review_export import LabelExport, export_fronts, export_label_images


class ReviewExports:
    """Export the kept (accepted, edited, redrawn) fronts; edits are settled first."""

    def export_fronts(self, path: str | Path) -> int:
        """Write the accepted, edited and redrawn fronts to a GeoPackage; return how many."""
        return export_fronts(self.layer, path) if self.layer else 0

    def export_labels(self, folder: str | Path) -> LabelExport:
        """Write label images (labels/, labels_1px/) of the kept fronts on their scenes' grids."""
        if self.layer is None:
            return LabelExport()
        return export_label_images(self.layer, folder, self.scenes)

    def _nothing_kept(self) -> bool:
        """True (with a warning) when no front is accepted, edited or redrawn yet."""
        if self.queue.kept:
            return False
        self.iface.messageBar().pushWarning(
            "CALFIN review", "No front is accepted, edited or redrawn yet: nothing to export."
        )
        return True

    def _export_fronts_dialog(self) -> None:
        if self._nothing_kept() or not self.settle_unsaved():  # the file matches what is saved
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export reviewed fronts", "", "*.gpkg")
        if path:
            try:
                count = self.export_fronts(path)
            except (ValueError, RuntimeError) as err:
                self.iface.messageBar().pushCritical("CALFIN review", str(err))
                return
            self.iface.messageBar().pushSuccess("CALFIN review", f"{count} fronts → {path}")

    def _export_labels_dialog(self) -> None:
        if self._nothing_kept() or not self.settle_unsaved():
            return
        folder = QFileDialog.getExistingDirectory(self, "Export label images")
        if folder:
            result = self.export_labels(folder)
            text = f"{len(result.written)} label images → {folder}"
            if result.missing_scenes:
                text += f"; no scene found for {', '.join(result.missing_scenes)}"
            self.iface.messageBar().pushInfo("CALFIN review", text)
