"""The dock's widgets: the form (layer, scenes, reviewer, filters, sort), labels and buttons.

A mixin of ``ReviewDock``: it only builds widgets and wires them to the dock's public methods,
which hold the behaviour.
"""

from __future__ import annotations

from qgis.core import QgsMapLayerProxyModel
from qgis.gui import (
    QgsCheckableComboBox,
    QgsCollapsibleGroupBox,
    QgsFileWidget,
    QgsMapLayerComboBox,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QKeySequence
from qgis.PyQt.QtWidgets import (
    QAction,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from calfin_qgis.core.schema import (
    LOW_CONFIDENCE,
    QUAL_AUTO,
    QUAL_AUTO_LOW_CONFIDENCE,
    QUAL_MANUAL,
    QUAL_MANUAL_EDITED,
)

from .review_layer import default_reviewer
from .review_model import STATUSES, UNSURE
from .review_strip import SeriesStrip
from .review_style import EARLIER_COLOR, LATER_COLOR, NO_CONFIDENCE_COLOR, confidence_color

QUAL_MEANINGS = {
    QUAL_MANUAL: "manual (drawn by hand)",
    QUAL_MANUAL_EDITED: "edited (an automatic pick corrected by hand)",
    QUAL_AUTO: "automatic",
    QUAL_AUTO_LOW_CONFIDENCE: f"automatic, low confidence (below {LOW_CONFIDENCE})",
}
"""What the qual_flag codes of ``core.schema`` mean, in the dock's filter and legend."""
QUAL_FLAGS = tuple(QUAL_MEANINGS)
STATUS_TEXT = {UNSURE: "unsure (skipped for now)"}
UNSAVED_MARK = "●"
ZERO_WIDTH_SPACE = "\u200b"


def breakable(name: str) -> str:
    """``name`` with a line break allowed after each underscore: a long image_id then wraps
    in a label instead of making the dock as wide as itself."""
    return name.replace("_", "_" + ZERO_WIDTH_SPACE)


def _swatch(color, text: str, dashed: bool = False) -> str:
    line = "╌╌" if dashed else "━━"
    return f'<span style="color:{color.name()}"><b>{line}</b></span> {text}'


def legend_html() -> str:
    """The map colours and the qual_flag codes, for the dock's legend."""
    low, high = confidence_color(0.0), confidence_color(1.0)
    mid = confidence_color(LOW_CONFIDENCE)
    flags = "<br>".join(f"<b>{flag}</b> {meaning}" for flag, meaning in QUAL_MEANINGS.items())
    return (
        "<b>Map</b>: the front under review, thick, coloured by confidence "
        f"{_swatch(low, '0')} {_swatch(mid, str(LOW_CONFIDENCE))} {_swatch(high, '1')} "
        f"{_swatch(NO_CONFIDENCE_COLOR, 'none')}; the other fronts of its scene faint white; "
        f"neighbouring dates {_swatch(EARLIER_COLOR, 'earlier', True)} "
        f"{_swatch(LATER_COLOR, 'later', True)}.<br><b>qual_flag</b><br>{flags}"
    )


class ReviewWidgets:
    """Builds the dock's body and its actions (buttons, shortcuts)."""

    def _build_ui(self) -> None:
        # Scrolls rather than squeezing the buttons on a short screen.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        layout = QVBoxLayout(body)
        layout.addLayout(self._build_form(body))
        self._build_front_panel(body, layout)
        layout.addStretch(1)
        scroll.setWidget(body)
        self.setWidget(scroll)
        for combo in (self.status_combo, self.qual_combo):
            # dataChanged: checkedItemsChanged misses setItemCheckState on QGIS 3.22
            combo.model().dataChanged.connect(self._on_filter_widgets)

    def _build_form(self, body: QWidget) -> QFormLayout:
        """Layer, scenes folder, reviewer, the filters, the sort and the comparison."""
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
        self._add_filters(body, form)
        self.neighbours_check = QCheckBox("Neighbouring dates", body)
        self.neighbours_check.setToolTip(
            "Draw, dashed, the fronts of the same glacier on the nearest earlier and later dates"
        )
        self.neighbours_check.toggled.connect(self._restyle)
        form.addRow("Compare", self.neighbours_check)
        self._build_reference_row(form, body)
        self._build_suggest_row(form, body)
        combos = (self.layer_combo, self.status_combo, self.qual_combo, self.sort_combo)
        for combo in (*combos, self.suggest_combo):
            # Long item texts (the qual_flag meanings, layer names) do not widen the dock.
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        return form

    def _add_filters(self, body: QWidget, form: QFormLayout) -> None:
        """Status and qual_flag filters (several values at once; none checked shows all)
        and the sort order."""
        self.status_combo = QgsCheckableComboBox(body)
        self.status_combo.setDefaultText("All statuses")
        for status in STATUSES:
            self.status_combo.addItemWithCheckState(
                STATUS_TEXT.get(status, status), Qt.Unchecked, status
            )
        form.addRow("Status", self.status_combo)
        self.qual_combo = QgsCheckableComboBox(body)
        self.qual_combo.setDefaultText("All flags")
        for flag, meaning in QUAL_MEANINGS.items():
            self.qual_combo.addItemWithCheckState(f"{flag} {meaning}", Qt.Unchecked, flag)
        form.addRow("qual_flag", self.qual_combo)
        self.screened_check = QCheckBox("Screened only", body)
        self.screened_check.setToolTip(
            "Show only the fronts that screening marked (field screen) and no labeller has "
            "accepted, edited or redrawn since"
        )
        self.screened_check.toggled.connect(self._on_filter_widgets)
        form.addRow("Suspects", self.screened_check)
        self.sort_combo = QComboBox(body)
        for label, key in (
            ("Layer order", "fid"),
            ("Date", "date"),
            ("Confidence", "confidence"),
            ("Suspicion (screened, then uncertainty)", "suspicion"),
        ):
            self.sort_combo.addItem(label, key)
        self.descending_check = QCheckBox("descending", body)
        self.sort_combo.currentIndexChanged.connect(self._on_sort_widgets)
        self.descending_check.toggled.connect(self._on_sort_widgets)
        form.addRow("Sort by", self.sort_combo)
        form.addRow("", self.descending_check)

    def _build_front_panel(self, body: QWidget, layout: QVBoxLayout) -> None:
        """The current front, notes, its comment, the buttons, the progress and the legend."""
        self.front_label = QLabel(body)
        self.front_label.setWordWrap(True)
        layout.addWidget(self.front_label)
        self.strip = SeriesStrip(body)
        self.strip.hide()
        layout.addWidget(self.strip)
        self.note_label = QLabel(body)
        """What the labeller should know: a missing scene, fields the layer lacks."""
        self.note_label.setWordWrap(True)
        self.note_label.hide()
        layout.addWidget(self.note_label)
        self.comment_edit = QLineEdit(body)
        self.comment_edit.setPlaceholderText("Comment on this front (stored with it)")
        self.comment_edit.editingFinished.connect(self._store_comment)
        comment_row = QFormLayout()
        comment_row.addRow("Comment", self.comment_edit)
        layout.addLayout(comment_row)
        self.buttons = QGridLayout()
        layout.addLayout(self.buttons)
        self.unsaved_label = QLabel(body)
        self.unsaved_label.setStyleSheet("color: #c05000; font-weight: bold")
        self.unsaved_label.setWordWrap(True)
        layout.addWidget(self.unsaved_label)
        self.progress_bar = QProgressBar(body)
        self.progress_bar.setFormat("%v of %m reviewed")
        layout.addWidget(self.progress_bar)
        self.progress_label = QLabel(body)
        self.progress_label.setWordWrap(True)
        layout.addWidget(self.progress_label)
        legend = QgsCollapsibleGroupBox("Legend", body)
        legend_layout = QVBoxLayout(legend)
        self.legend_label = QLabel(legend_html(), legend)
        self.legend_label.setWordWrap(True)
        legend_layout.addWidget(self.legend_label)
        layout.addWidget(legend)

    def _build_actions(self) -> None:
        specs = (
            ("previous", "◀ Previous", "PgUp", self.previous_front),
            ("next", "Next ▶", "PgDown", self.next_front),
            ("accept", "Accept", "A", self.accept_current),
            ("reject", "Reject", "X", self.reject_current),
            ("unsure", "Unsure / skip", "U", self.unsure_current),
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
        self.action_buttons: dict[str, QPushButton] = {}
        for i, (name, text, keys, slot) in enumerate(specs):
            action = QAction(text, self)
            label = text
            if keys:
                action.setShortcut(QKeySequence(keys))
                label = f"{text}  [{action.shortcut().toString(QKeySequence.NativeText)}]"
                action.setToolTip(f"{text} ({keys})")
            # Shortcuts work with the focus in the dock or on the map.
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _=False, s=slot: s())
            self.addAction(action)
            self.canvas.addAction(action)
            button = QPushButton(label)
            button.clicked.connect(action.trigger)
            button.setToolTip(action.toolTip())
            self.buttons.addWidget(button, i // 2, i % 2)
            self.actions[name] = action
            self.action_buttons[name] = button
