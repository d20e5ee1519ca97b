"""The dock's map display: zoom to the current front, draw it to stand out, show its scene.

A mixin of ``ReviewDock``; how the fronts are drawn is in ``review_style``.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsCoordinateTransform, QgsProject, QgsRasterLayer, QgsRectangle

from .review_style import ReviewStyle, review_renderer
from .review_widgets import breakable

MAX_SCENES = 8
"""Scene layers the dock adds to the project and keeps; older ones are removed."""
ZOOM_FACTOR = 3.0
"""The map shows a square this many times the front's longer side: a front spans its fjord,
so both fjord walls, the ocean and the glacier behind the front are in view."""


class ReviewDisplay:
    """Shows the current front on the map canvas, over its scene."""

    def _take_style(self) -> None:
        if self.layer is not None and self._style is None:
            self._style = ReviewStyle(self.layer)

    def _give_style_back(self) -> None:
        style, self._style = self._style, None
        if style is not None:
            style.release()

    def _restyle(self) -> None:
        """Draw the current front bold, its scene's other fronts faint, its neighbours dashed."""
        record = self.queue.current
        if self._style is not None and self._drawing_scene is not None:
            self._style.show(self._drawing_renderer())  # a new front: the neighbours, dashed
            return
        if self._style is None or record is None:
            return
        earlier, later = [], []
        if self.neighbours_check.isChecked():
            earlier, later = self.queue.neighbour_dates(record.fid)
        renderer = review_renderer(
            record.fid,
            record.confidence,
            self.queue.same_scene(record.fid),
            earlier,
            later,
            vertices=self._editing_front,
        )
        self._style.show(renderer)

    def _show_current(self) -> None:
        fid = self.queue.current_fid
        if fid is None or self.layer is None:
            return
        self._show_scene()
        self._zoom_to(self.review.geometry(fid).boundingBox(), self.layer.crs())

    def _zoom_to(self, box: QgsRectangle, crs, factor: float = ZOOM_FACTOR) -> None:
        """Show a square ``factor`` times the longer side of ``box`` (in ``crs``) around it."""
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        if canvas_crs.isValid() and canvas_crs != crs:
            transform = QgsCoordinateTransform(crs, canvas_crs, QgsProject.instance())
            box = transform.transformBoundingBox(box)
        # A square, also around a straight front (a flat box): the scene on both sides.
        side = max(box.width(), box.height(), 1.0) * factor
        self.canvas.setExtent(QgsRectangle.fromCenterAndSize(box.center(), side, side))
        self.canvas.refresh()

    def _show_scene(self) -> None:
        """Show the current front's scene right below the front layer; hide other scenes."""
        record = self.queue.current
        if record is None or self.layer is None:
            return
        notes = []
        missing = self.review.missing_front_fields()
        if missing:
            notes.append(
                f"The layer has no {', '.join(missing)} field: scenes, dates and sorting need "
                "them (calfin:detect_fronts writes them)."
            )
        scene = self._scene_layer(record.image_id)
        if scene is None and record.image_id:
            notes.append(
                f"No scene found for {breakable(record.image_id)}: pick the scenes folder, or "
                "load the scene into the project."
            )
        self.note_label.setText(" ".join(notes))
        self.note_label.setVisible(bool(notes))
        self._show_only_scene(scene)

    def _show_only_scene(self, scene: QgsRasterLayer | None) -> None:
        """Of the scenes the dock added, show ``scene`` only."""
        root = QgsProject.instance().layerTreeRoot()
        for layer_id in self._scene_layer_ids:
            node = root.findLayer(layer_id)
            if node is not None:
                node.setItemVisibilityChecked(scene is not None and layer_id == scene.id())

    def _scene_layer(self, image_id: str, paths: tuple[Path, ...] = ()) -> QgsRasterLayer | None:
        """The scene of ``image_id``: a project layer, or one the dock adds below the fronts
        (keeping the last MAX_SCENES it added) from the first of ``paths`` that is a raster,
        else from the scenes folder."""
        scene = self.scenes.layer_for(image_id)
        if scene is not None:
            return scene
        found = self.scenes.path_for(image_id)
        for path in (*paths, *([found] if found else [])):
            scene = QgsRasterLayer(str(path), path.stem)
            if scene.isValid():
                return self._add_scene(scene)
        return None

    def _add_scene(self, scene: QgsRasterLayer) -> QgsRasterLayer:
        project = QgsProject.instance()
        project.addMapLayer(scene, False)
        root = project.layerTreeRoot()
        node = root.findLayer(self.layer.id())
        parent = node.parent() if node else root
        index = parent.children().index(node) + 1 if node else len(parent.children())
        parent.insertLayer(index, scene)
        self._scene_layer_ids.append(scene.id())
        while len(self._scene_layer_ids) > MAX_SCENES:
            project.removeMapLayer(self._scene_layer_ids.pop(0))
        return scene
