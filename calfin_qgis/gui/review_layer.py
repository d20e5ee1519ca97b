"""Reading review records from a front layer and writing reviews through its edit buffer.

Every change is one edit command on the layer's undo stack, so Ctrl+Z in QGIS and the dock's
undo both work, and nothing reaches the file until the labeller saves (commitChanges).
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
from collections.abc import Iterator

from qgis.core import (
    QgsDistanceArea,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsProject,
    QgsSettings,
    QgsUnitTypes,
    QgsVectorDataProvider,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

from ..adapter.layers import plain
from .review_model import (
    EDITED,
    KEPT_STATUSES,
    REDRAWN,
    REVIEW_FIELDS,
    SCREEN_OK,
    SCREEN_REVIEWED,
    STATUSES,
    UNREVIEWED,
    FrontRecord,
    review_for,
)

REVIEWER_SETTING = "calfin_qgis/review/reviewer"
READ_FIELDS = ("image_id", "date", "qual_flag", "confidence")
"""What the dock reads from a front layer (calfin's fronts have them) besides its own fields."""
_QVARIANT = {"str": QVariant.String, "int": QVariant.Int}


def default_reviewer() -> str:
    """The name saved in the QGIS settings, else the login name."""
    saved = QgsSettings().value(REVIEWER_SETTING, "", type=str)
    if saved:
        return saved
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _py(value):
    """A Python value from a QGIS attribute: NULL becomes None, QDate and ISO text a date."""
    value = plain(value)
    if isinstance(value, str) and len(value) >= 10:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _number(value, kind: type):
    """``kind(value)``, or None for NULL and for text that is no number (say, "n/a")."""
    try:
        return None if value is None else kind(float(value))
    except (TypeError, ValueError):
        return None


class ReviewLayer:
    """A front layer seen through the review: records, status changes, geometry changes."""

    def __init__(self, layer: QgsVectorLayer, reviewer: str | None = None) -> None:
        self.layer = layer
        self.reviewer = reviewer if reviewer is not None else default_reviewer()

    # --- schema ---------------------------------------------------------------------------

    def missing_fields(self) -> list[str]:
        names = set(self.layer.fields().names())
        return [name for name, _ in REVIEW_FIELDS if name not in names]

    def missing_front_fields(self) -> list[str]:
        """Fields of calfin's front layers that the review reads but this layer lacks."""
        names = set(self.layer.fields().names())
        return [name for name in READ_FIELDS if name not in names]

    def problem(self) -> str | None:
        """Why reviews cannot be stored in this layer, with the fix; None when they can."""
        layer = self.layer
        copy = (
            "Save a copy as GeoPackage (right-click the layer › Export › Save Features As) "
            "and review the copy."
        )
        if layer.storageType() == "ESRI Shapefile" and self.missing_fields():
            return (
                f"{layer.name()} is a shapefile, whose field names are cut to 10 characters: "
                f"the review fields ({', '.join(self.missing_fields())}) cannot be stored. {copy}"
            )
        capabilities = layer.dataProvider().capabilities()
        needed = QgsVectorDataProvider.ChangeAttributeValues
        if self.missing_fields():
            needed |= QgsVectorDataProvider.AddAttributes
        if layer.readOnly() or (capabilities & needed) != needed:
            return f"{layer.name()} is read-only here, so reviews cannot be stored in it. {copy}"
        return None

    def add_review_fields(self) -> None:
        """Add the review fields through the provider (a schema change, kept outside undo)."""
        missing = self.missing_fields()
        if not missing:
            return
        problem = self.problem()
        if problem:
            raise RuntimeError(problem)
        kinds = dict(REVIEW_FIELDS)
        fields = [QgsField(name, _QVARIANT[kinds[name]]) for name in missing]
        # No provider error text here: after a refused change it can crash QGIS 3.22.
        if not self.layer.dataProvider().addAttributes(fields):
            raise RuntimeError(
                f"Cannot add the review fields {', '.join(missing)} to {self.layer.name()}. "
                "Save a copy as GeoPackage and review the copy."
            )
        self.layer.updateFields()

    # --- reading --------------------------------------------------------------------------

    def record(self, feature: QgsFeature) -> FrontRecord:
        names = set(feature.fields().names())

        def get(name):
            return _py(feature[name]) if name in names else None

        status = get("status")
        date = get("date")
        return FrontRecord(
            fid=feature.id(),
            image_id=str(get("image_id") or ""),
            date=date if isinstance(date, datetime.date) else None,
            qual_flag=_number(get("qual_flag"), int),
            confidence=_number(get("confidence"), float),
            status=status if status in STATUSES else UNREVIEWED,
            comment=str(get("comment") or ""),
            glacier_id=str(get("glacier_id") or ""),
            screen=str(get("screen") or ""),
            uncertainty_m=_number(get("uncertainty_m"), float),
        )

    def records(self) -> list[FrontRecord]:
        return [self.record(f) for f in self.layer.getFeatures()]

    def record_of(self, fid: int) -> FrontRecord | None:
        feature = self.layer.getFeature(fid)
        return self.record(feature) if feature.isValid() else None

    def geometry(self, fid: int) -> QgsGeometry:
        return self.layer.getFeature(fid).geometry()

    # --- writing --------------------------------------------------------------------------

    def _length(self, geometry: QgsGeometry) -> float:
        if self.layer.crs().mapUnits() == QgsUnitTypes.DistanceMeters:
            return geometry.length()
        area = QgsDistanceArea()
        area.setSourceCrs(self.layer.crs(), QgsProject.instance().transformContext())
        ellipsoid = QgsProject.instance().ellipsoid()
        # A project set to "None / Planimetric" would measure in degrees: WGS 84 instead.
        area.setEllipsoid(ellipsoid if ellipsoid and ellipsoid != "NONE" else "EPSG:7030")
        return area.measureLength(geometry)

    def review_values(
        self, action: str, qual_flag: int | None, screen: str = ""
    ) -> dict[int, object]:
        """Attribute index → value for ``action`` on a front flagged ``qual_flag``; a screened
        front that is accepted, edited or redrawn becomes ``screen`` = reviewed (the
        labeller's decision, kept by later screenings)."""
        review = review_for(action, qual_flag)
        stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        signed = review.status != UNREVIEWED  # an "unsure" is signed too: who doubted, when
        values = {
            "status": review.status,
            "reviewed": review.reviewed,
            "reviewer": self.reviewer if signed else None,
            "reviewed_at": stamp if signed else None,
            "qual_flag": review.qual_flag,
        }
        if action in KEPT_STATUSES and screen not in SCREEN_OK:
            values["screen"] = SCREEN_REVIEWED
        fields = self.layer.fields()
        return {fields.indexOf(k): v for k, v in values.items() if fields.indexOf(k) >= 0}

    def _start_editing(self) -> None:
        """Open the edit buffer, or say why reviews cannot be written."""
        problem = self.problem()
        if problem:
            raise RuntimeError(problem)
        if self.missing_fields():
            raise RuntimeError("Add the review fields before reviewing (add_review_fields).")
        if not self.layer.isEditable() and not self.layer.startEditing():
            raise RuntimeError(f"Layer {self.layer.name()} cannot be edited (read-only source?).")

    @contextlib.contextmanager
    def _edit(self, fid: int, what: str) -> Iterator[QgsFeature]:
        """One undoable edit command on front ``fid`` (or a part of the command running)."""
        feature = self.layer.getFeature(fid)
        if not feature.isValid():
            raise KeyError(f"Front {fid} is not in layer {self.layer.name()}.")
        self._start_editing()
        own_command = not self.layer.isEditCommandActive()
        if own_command:
            self.layer.beginEditCommand(f"Review front {fid}: {what}")
        try:
            yield feature
        except Exception:
            if own_command:
                self.layer.destroyEditCommand()
            raise
        if own_command:
            self.layer.endEditCommand()

    def apply(self, fid: int, action: str, geometry: QgsGeometry | None = None) -> None:
        """Write ``action`` (and a new geometry) for ``fid`` as one undoable edit command."""
        with self._edit(fid, action) as feature:
            record = self.record(feature)
            values = self.review_values(action, record.qual_flag, record.screen)
            if geometry is not None and not self.layer.changeGeometry(fid, geometry):
                raise RuntimeError(f"Cannot change the geometry of front {fid}.")
            index = self.layer.fields().indexOf("length_m")
            if index >= 0 and action in (EDITED, REDRAWN):
                values[index] = self._length(self.layer.getFeature(fid).geometry())
            if not self.layer.changeAttributeValues(fid, values):
                raise RuntimeError(f"Cannot change the attributes of front {fid}.")

    def set_comment(self, fid: int, text: str) -> None:
        """Store ``text`` (empty: none) as the comment of ``fid``; its status stays."""
        with self._edit(fid, "comment"):
            index = self.layer.fields().indexOf("comment")
            if not self.layer.changeAttributeValue(fid, index, text.strip() or None):
                raise RuntimeError(f"Cannot change the comment of front {fid}.")

    def add_front(self, attributes: dict[str, object], geometry: QgsGeometry) -> int:
        """Add a hand-drawn front (a scene without one) as one undoable edit command, reviewed
        as redrawn (qual_flag 0, signed; ``screen`` reviewed where the layer has it); its id."""
        self._start_editing()
        fields = self.layer.fields()
        feature = QgsFeature(fields)
        feature.setGeometry(geometry)
        values = {
            **attributes,
            "length_m": self._length(geometry),
            "screen": SCREEN_REVIEWED,
        }
        for name, value in values.items():
            if fields.indexOf(name) >= 0:
                feature.setAttribute(fields.indexOf(name), value)
        for index, value in self.review_values(REDRAWN, None).items():
            feature.setAttribute(index, value)
        self.layer.beginEditCommand(f"Add front of {attributes.get('image_id')}: {REDRAWN}")
        if not self.layer.addFeature(feature):
            self.layer.destroyEditCommand()
            raise RuntimeError(f"Cannot add a front to {self.layer.name()}.")
        self.layer.endEditCommand()
        return feature.id()
