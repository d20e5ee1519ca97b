"""The dock's widgets: the form (layer, scenes, reviewer, filters, sort), labels and buttons.

A mixin of ``ReviewDock``: it only builds widgets and wires them to the dock's public methods,
which hold the behaviour.
"""

from __future__ import annotations

from qgis.core import QgsMapLayerProxyModel
from qgis.gui import QgsCheckableComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QKeySequence
from qgis.PyQt.QtWidgets import (
    QAction,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calfin_qgis.core.schema import (
    QUAL_AUTO,
    QUAL_AUTO_LOW_CONFIDENCE,
    QUAL_MANUAL,
    QUAL_MANUAL_EDITED,
)

from .review_layer import default_reviewer
from .review_model import STATUSES

QUAL_FLAGS = (QUAL_MANUAL, QUAL_MANUAL_EDITED, QUAL_AUTO, QUAL_AUTO_LOW_CONFIDENCE)


class ReviewWidgets:
    """Builds the dock's body and its actions (buttons, shortcuts)."""

    def _build_ui(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        form = QFormLayout()
        self.layer_combo = QgsMapLayerComboBox(body)
        self.layer_combo.setFilters(QgsMapLayerProxyModel.LineLayer)
        self.layer_combo.setAllowEmptyLayer(True)
        self.layer_combo.layerChanged.connect(self._on_layer_changed)
        form.addRow("Fronts", self.layer_combo)
        self.scene_folder = QgsFileWidget(body)
        self.scene_folder.setStorageMode(QgsFileWidget.GetDirectory)
        self.scene_folder.fileChanged.connect(self.set_scene_folder)
        form.addRow("Scenes folder", self.scene_folder)
        self.reviewer_edit = QLineEdit(default_reviewer(), body)
        self.reviewer_edit.editingFinished.connect(
            lambda: self.set_reviewer(self.reviewer_edit.text())
        )
        form.addRow("Reviewer", self.reviewer_edit)
        # Several values at once; none checked shows all.
        self.status_combo = QgsCheckableComboBox(body)
        self.status_combo.setDefaultText("All statuses")
        for status in STATUSES:
            self.status_combo.addItemWithCheckState(status, Qt.Unchecked, status)
        form.addRow("Status", self.status_combo)
        self.qual_combo = QgsCheckableComboBox(body)
        self.qual_combo.setDefaultText("All flags")
        for flag in QUAL_FLAGS:
            self.qual_combo.addItemWithCheckState(str(flag), Qt.Unchecked, flag)
        form.addRow("qual_flag", self.qual_combo)
        self.sort_combo = QComboBox(body)
        for label, key in (("Layer order", "fid"), ("Date", "date"), ("Confidence", "confidence")):
            self.sort_combo.addItem(label, key)
        self.descending_check = QCheckBox("descending", body)
        self.sort_combo.currentIndexChanged.connect(self._on_sort_widgets)
        self.descending_check.toggled.connect(self._on_sort_widgets)
        form.addRow("Sort by", self.sort_combo)
        form.addRow("", self.descending_check)
        layout.addLayout(form)
        self.front_label = QLabel(body)
        self.front_label.setWordWrap(True)
        layout.addWidget(self.front_label)
        self.note_label = QLabel(body)
        """What the labeller should know: a missing scene, fields the layer lacks."""
        self.note_label.setWordWrap(True)
        layout.addWidget(self.note_label)
        self.buttons = QGridLayout()
        layout.addLayout(self.buttons)
        self.progress_label = QLabel(body)
        self.progress_label.setWordWrap(True)
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        self.setWidget(body)
        for combo in (self.status_combo, self.qual_combo):
            # dataChanged: checkedItemsChanged misses setItemCheckState on QGIS 3.22
            combo.model().dataChanged.connect(self._on_filter_widgets)

    def _build_actions(self) -> None:
        specs = (
            ("previous", "◀ Previous", "PgUp", self.previous_front),
            ("next", "Next ▶", "PgDown", self.next_front),
            ("accept", "Accept", "A", self.accept_current),
            ("reject", "Reject", "X", self.reject_current),
            ("redraw", "Redraw", "D", self.start_redraw),
            ("edit", "Edit vertices", "E", self.edit_vertices_current),
            ("trim", "Split / trim", "T", self.start_trim),
            ("undo", "Undo", "Ctrl+Alt+Z", self.undo),
            ("redo", "Redo", "Ctrl+Alt+Y", self.redo),
            ("save", "Save", "Ctrl+Alt+S", self.save),
            ("export_fronts", "Export fronts…", "", self._export_fronts_dialog),
            ("export_labels", "Export labels…", "", self._export_labels_dialog),
        )
        self.actions: dict[str, QAction] = {}
        for i, (name, text, keys, slot) in enumerate(specs):
            action = QAction(text, self)
            if keys:
                action.setShortcut(QKeySequence(keys))
                action.setToolTip(f"{text} ({keys})")
            # Shortcuts work with the focus in the dock or on the map.
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _=False, s=slot: s())
            self.addAction(action)
            self.canvas.addAction(action)
            button = QPushButton(text, self.widget())
            button.clicked.connect(action.trigger)
            button.setToolTip(action.toolTip())
            self.buttons.addWidget(button, i // 2, i % 2)
            self.actions[name] = action
