"""The dock's map display: zoom to the current front and show its scene beneath it.

A mixin of ``ReviewDock``.
"""

from __future__ import annotations

from qgis.core import QgsCoordinateTransform, QgsProject, QgsRasterLayer, QgsRectangle

MAX_SCENES = 8
"""Scene layers the dock adds to the project and keeps; older ones are removed."""
ZOOM_MARGIN = 1.3
"""The map shows the front's bounding box enlarged by this factor."""


class ReviewDisplay:
    """Shows the current front on the map canvas, over its scene."""

    def _show_current(self) -> None:
        fid = self.queue.current_fid
        if fid is None or self.layer is None:
            return
        self.layer.selectByIds([fid])
        self._show_scene()
        box = self.review.geometry(fid).boundingBox()
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        if canvas_crs.isValid() and canvas_crs != self.layer.crs():
            transform = QgsCoordinateTransform(self.layer.crs(), canvas_crs, QgsProject.instance())
            box = transform.transformBoundingBox(box)
        # A straight front has a flat box: give it some depth to show the scene around it.
        side = max(box.width(), box.height(), 1.0) * ZOOM_MARGIN
        center = box.center()
        box = QgsRectangle.fromCenterAndSize(
            center,
            max(box.width() * ZOOM_MARGIN, side / 2),
            max(box.height() * ZOOM_MARGIN, side / 2),
        )
        self.canvas.setExtent(box)
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
                f"No scene found for {record.image_id}: pick the scenes folder, or load the "
                "scene into the project."
            )
        self.note_label.setText(" ".join(notes))
        root = QgsProject.instance().layerTreeRoot()
        for layer_id in self._scene_layer_ids:
            node = root.findLayer(layer_id)
            if node is not None:
                node.setItemVisibilityChecked(scene is not None and layer_id == scene.id())

    def _scene_layer(self, image_id: str) -> QgsRasterLayer | None:
        """The scene of ``image_id``: a project layer, or one the dock adds below the fronts
        (keeping the last MAX_SCENES it added)."""
        scene = self.scenes.layer_for(image_id)
        if scene is not None:
            return scene
        path = self.scenes.path_for(image_id)
        if path is None:
            return None
        scene = QgsRasterLayer(str(path), path.stem)
        if not scene.isValid():
            return None
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
