"""The QGIS plugin object: registers the Processing provider, the CALFIN menu and review dock.

Loading never fails for a missing Python package: the provider still registers (its
algorithms explain what is missing), and the desktop shows a non-modal offer in the message
bar that opens the install dialog. qgis_process calls ``initProcessing()`` only, and may pass
no usable ``iface``; every GUI call is guarded.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsMessageLog

from . import deps, deps_install

MENU = "&CALFIN"
LOG_TAG = "CALFIN"
ICON = Path(__file__).resolve().parent / "icons" / "calfin.svg"


def dependency_folder() -> Path:
    """``<QGIS profile>/python/calfin_qgis_deps`` (or $CALFIN_DEPS_DIR)."""
    return deps.deps_folder(QgsApplication.qgisSettingsDirPath())


def setup_dependency_path() -> Path:
    """Put the plugin's dependency folder on sys.path; called before anything heavy imports."""
    folder = dependency_folder()
    deps.add_to_sys_path(folder)
    return folder


# At import time, so that no module of ours can import onnxruntime/skimage before it.
setup_dependency_path()

from .processing.provider import CalfinProvider  # noqa: E402 - after the sys.path setup


def _has_gui(iface) -> bool:
    return iface is not None and callable(getattr(iface, "mainWindow", None))


class CalfinPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: CalfinProvider | None = None
        self.actions: list = []
        self.toolbar_actions: list = []
        self.install_action = None
        self.review_action = None
        self.dock = None
        self.install_dialog = None
        self.message_item = None
        self.deps_folder = setup_dependency_path()

    # --- Processing (also qgis_process) ---------------------------------------------------

    def initProcessing(self) -> None:  # noqa: N802 - QGIS API
        """Called by QGIS (also by qgis_process, which has no GUI) to register the provider."""
        if self.provider is None:
            provider = CalfinProvider()
            if QgsApplication.processingRegistry().addProvider(provider):
                self.provider = provider
            else:  # another instance registered "calfin"; never remove theirs on unload
                QgsMessageLog.logMessage(
                    "Provider calfin is already registered", LOG_TAG, Qgis.Warning
                )

    # --- GUI ------------------------------------------------------------------------------

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        self.initProcessing()
        if not _has_gui(self.iface):
            return
        from qgis.PyQt.QtGui import QIcon
        from qgis.PyQt.QtWidgets import QAction

        window = self.iface.mainWindow()
        icon = QIcon(str(ICON))
        self.review_action = QAction(icon, "Review fronts", window)
        self.review_action.setObjectName("calfinReviewFronts")
        self.review_action.setToolTip("CALFIN: review, fix and approve calving fronts")
        self.review_action.triggered.connect(self.open_review_dock)
        self.install_action = QAction("Install dependencies…", window)
        self.install_action.setObjectName("calfinInstallDependencies")
        self.install_action.triggered.connect(self.open_install_dialog)
        for action in (self.review_action, self.install_action):
            self.iface.addPluginToMenu(MENU, action)
            self.actions.append(action)
        self.iface.addToolBarIcon(self.review_action)
        self.toolbar_actions.append(self.review_action)
        if not self.offer_install():
            self.check_model()

    def check_model(self) -> str | None:
        """Warn at load when the bundled model is missing or does not match the contract."""
        from .core.network.model import model_problem

        problem = model_problem()
        if problem:
            self.iface.messageBar().pushMessage("CALFIN", problem, level=Qgis.Critical)
            QgsMessageLog.logMessage(problem, LOG_TAG, Qgis.Critical)
        return problem

    def missing(self) -> list[deps.Dependency]:
        """Missing packages, asked cheaply (no heavy imports at QGIS start-up)."""
        try:
            return deps.missing(import_modules=False)
        except Exception as err:  # noqa: BLE001 - a check must never break loading
            QgsMessageLog.logMessage(f"Dependency check failed: {err}", LOG_TAG, Qgis.Warning)
            return []

    def offer_install(self) -> bool:
        """A message-bar offer with an Install… button when packages are missing."""
        missing = self.missing()
        if not missing or not _has_gui(self.iface):
            return False
        from qgis.PyQt.QtWidgets import QPushButton

        names = ", ".join(d.module for d in missing)
        bar = self.iface.messageBar()
        item = bar.createMessage(
            "CALFIN", f"Missing Python packages: {names}. The algorithms need them."
        )
        button = QPushButton("Install…", item)
        button.setObjectName("calfinInstallButton")
        button.clicked.connect(self.open_install_dialog)
        item.layout().addWidget(button)
        bar.pushWidget(item, Qgis.Warning)
        self.message_item = item
        QgsMessageLog.logMessage(deps_install.missing_message(missing), LOG_TAG, Qgis.Warning)
        return True

    def _dismiss_offer(self) -> None:
        if self.message_item is None:
            return
        with contextlib.suppress(RuntimeError):  # the user closed it; Qt deleted it
            self.iface.messageBar().popWidget(self.message_item)
        self.message_item = None

    def open_install_dialog(self):
        """Show (non-modally) the dialog that installs the missing packages with pip."""
        from .gui.install_dialog import InstallDialog

        self._dismiss_offer()
        parent = self.iface.mainWindow() if _has_gui(self.iface) else None
        if self.install_dialog is None or not self.install_dialog.is_running():
            if self.install_dialog is not None:
                self.install_dialog.deleteLater()
            self.install_dialog = InstallDialog(
                deps.missing(), self.deps_folder, parent=parent, tag=LOG_TAG
            )
        self.install_dialog.show()
        self.install_dialog.raise_()
        self.install_dialog.activateWindow()
        return self.install_dialog

    def open_review_dock(self):
        """Create the review dock on first use (imported lazily), then show it."""
        if self.dock is None:
            try:
                from .gui.review_dock import ReviewDock
            except ImportError as err:
                self.iface.messageBar().pushMessage(
                    "CALFIN",
                    f"The review dock cannot load ({err}). Plugins > CALFIN > Install "
                    "dependencies… installs missing packages.",
                    level=Qgis.Warning,
                    duration=10,
                )
                return None
            from qgis.PyQt.QtCore import Qt

            self.dock = ReviewDock(self.iface, parent=self.iface.mainWindow())
            self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.dock.show()
        self.dock.raise_()
        return self.dock

    # --- unload ---------------------------------------------------------------------------

    def unload(self) -> None:
        if _has_gui(self.iface):
            for action in self.actions:
                self.iface.removePluginMenu(MENU, action)
            for action in self.toolbar_actions:
                self.iface.removeToolBarIcon(action)
            self._dismiss_offer()
        for action in self.actions:
            action.deleteLater()
        self.actions = []
        self.toolbar_actions = []
        self.install_action = self.review_action = None
        if self.dock is not None:
            if not self.dock.close() and hasattr(self.dock, "cleanup"):
                self.dock.cleanup()  # the user kept unsaved edits open: release tools anyway
            if _has_gui(self.iface):
                self.iface.removeDockWidget(self.dock)
            if hasattr(self.dock, "dispose"):
                self.dock.dispose()
            self.dock.deleteLater()
            self.dock = None
        if self.install_dialog is not None:
            self.install_dialog.stop()
            self.install_dialog.close()
            self.install_dialog.deleteLater()
            self.install_dialog = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
