"""A dialog that installs the plugin's missing Python packages with pip, on the user's yes.

pip runs in a QProcess (QGIS stays responsive) and its output streams into the dialog.
Packages go into the plugin-owned folder of the QGIS profile (see ``deps.deps_folder``),
never into QGIS's own Python; numpy is pinned to QGIS's numpy series. A failed install
changes nothing QGIS uses and shows the exact command to run by hand.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from qgis.core import Qgis, QgsMessageLog
from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, Qt
from qgis.PyQt.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from .. import deps, deps_install
from ..core import interpreter


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (from Linux's /proc; none elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # "pid (name) state ppid ...": the name may hold spaces and parentheses
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class InstallDialog(QDialog):
    """Lists the missing packages, offers CPU or GPU runtime, runs pip when asked."""

    def __init__(
        self,
        missing: list[deps.Dependency],
        folder: str | Path,
        parent=None,
        python: str | None = None,
        tag: str = "CALFIN",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("calfinInstallDialog")
        self.setWindowTitle("CALFIN: install Python dependencies")
        self.missing = list(missing)
        self.folder = Path(folder)
        self.python = python or interpreter.python_executable()
        self.tag = tag
        self.process: QProcess | None = None
        self.exit_code: int | None = None
        self.succeeded = False
        self._cancelled = False

        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)
        layout.addWidget(self.summary)

        self._add_runtime_choice(layout)
        self._add_fine_tuning(layout)
        self._add_progress(layout)
        self._add_buttons(layout)
        self.resize(680, 460)
        self._update_summary()
        self._update_command()

    def _add_fine_tuning(self, layout: QVBoxLayout) -> None:
        """The optional PyTorch and onnx, offered while they are missing."""
        self.fine_tuning = QCheckBox(
            "Also install PyTorch (CPU build, about 200 MB) and onnx, for fine-tuning the "
            "model on your fronts (optional)",
            self,
        )
        self.fine_tuning.setVisible(bool(deps.optional_missing()))
        self.fine_tuning.toggled.connect(self._update_summary)
        self.fine_tuning.toggled.connect(self._update_command)
        layout.addWidget(self.fine_tuning)

    def _add_progress(self, layout: QVBoxLayout) -> None:
        """The pip command to run, pip's output as it comes and the outcome."""
        self.command_label = QLabel(self)
        self.command_label.setWordWrap(True)
        self.command_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.command_label)

        self.output = QPlainTextEdit(self)
        self.output.setObjectName("calfinPipOutput")
        self.output.setReadOnly(True)
        self.output.setMinimumHeight(200)
        self.output.setPlaceholderText("pip's output appears here.")
        layout.addWidget(self.output)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.status)

    def _add_buttons(self, layout: QVBoxLayout) -> None:
        self.buttons = QDialogButtonBox(self)
        self.install_button = QPushButton("Install", self)
        self.install_button.setObjectName("calfinInstall")
        self.install_button.setDefault(True)
        self.close_button = QPushButton("Close", self)
        self.buttons.addButton(self.install_button, QDialogButtonBox.AcceptRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.RejectRole)
        self.install_button.clicked.connect(self.install)
        self.close_button.clicked.connect(self._close_or_cancel)
        layout.addWidget(self.buttons)

    def _add_runtime_choice(self, layout: QVBoxLayout) -> None:
        """CPU or GPU onnxruntime (GPU preselected where an NVIDIA driver is found); shown
        only when onnxruntime is among the missing packages."""
        gpu_present = deps.cuda_status().gpu_present
        self.cpu_button = QRadioButton("CPU runtime (onnxruntime; works everywhere)", self)
        self.gpu_button = QRadioButton(
            "GPU runtime (onnxruntime-gpu; needs an NVIDIA GPU with CUDA 12 and cuDNN 9)", self
        )
        self.runtime = QButtonGroup(self)
        self.runtime.addButton(self.cpu_button)
        self.runtime.addButton(self.gpu_button)
        (self.gpu_button if gpu_present else self.cpu_button).setChecked(True)
        if not gpu_present:
            self.gpu_button.setToolTip("No NVIDIA driver found here (nvidia-smi): use the CPU.")
            self.gpu_button.setText(f"{self.gpu_button.text()} — no NVIDIA GPU found here")
        self.cpu_button.toggled.connect(self._update_command)
        for button in (self.cpu_button, self.gpu_button):
            button.setVisible(self._needs("onnxruntime"))
            layout.addWidget(button)

    # --- state ----------------------------------------------------------------------------

    def _needs(self, module: str) -> bool:
        return any(d.module == module for d in self.missing)

    @property
    def gpu(self) -> bool:
        return self._needs("onnxruntime") and self.gpu_button.isChecked()

    def command(self) -> list[str]:
        """The pip command the Install button runs (the same one shown for running by hand)."""
        present = {d.module: d.version for d in deps.check(import_modules=False) if d.found}
        return deps_install.pip_command(
            self.missing,
            self.folder,
            self.gpu,
            python=self.python,
            present=present,
            fine_tuning=self.fine_tuning.isChecked(),
        )

    def is_running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.NotRunning

    def _update_summary(self) -> None:
        if not self.missing:
            self.summary.setText("All Python packages that CALFIN needs are installed.")
            self.install_button.setEnabled(self.fine_tuning.isChecked())
            return
        rows = "".join(
            f"<li><b>{d.module}</b> ({d.requirement}): {d.purpose}"
            + (f"<br><i>present but broken: {d.error}</i>" if d.error else "")
            + "</li>"
            for d in self.missing
        )
        self.summary.setText(
            "<p>CALFIN needs these Python packages, which QGIS's Python does not have:</p>"
            f"<ul>{rows}</ul><p>Install installs them with pip into <code>{self.folder}</code> "
            "(a folder of your QGIS profile that only this plugin uses). Nothing else in QGIS "
            "changes. Downloads can take a few minutes (GPU runtime: several hundred MB).</p>"
        )

    def _update_command(self) -> None:
        self.command_label.setText(
            f"Command: <code>{deps_install.command_line(self.command())}</code>"
        )

    # --- running pip ----------------------------------------------------------------------

    def install(self) -> bool:
        """Run pip (the user pressed Install); False when it is already running."""
        if self.is_running() or not (self.missing or self.fine_tuning.isChecked()):
            return False
        command = self.command()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.output.clear()
        self.output.appendPlainText(f"$ {deps_install.command_line(command)}")
        self.status.setText("Installing… QGIS stays usable meanwhile.")
        self.install_button.setEnabled(False)
        self.cpu_button.setEnabled(False)
        self.gpu_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.exit_code = None
        self.succeeded = False
        self._cancelled = False

        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PIP_NO_INPUT", "1")
        env.remove("PYTHONNOUSERSITE")
        process.setProcessEnvironment(env)
        process.setProcessChannelMode(QProcess.MergedChannels)
        process.setProgram(command[0])
        process.setArguments(command[1:])
        process.readyReadStandardOutput.connect(self._read_output)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        QgsMessageLog.logMessage(
            f"Running {deps_install.command_line(command)}", self.tag, Qgis.Info
        )
        process.start()
        return True

    def _read_output(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        if text:
            self.output.appendPlainText(text.rstrip("\n"))

    def _error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self.output.appendPlainText(
                f"Could not start {self.python}: {self.process.errorString()}"
            )
            self._done(False, -1)

    def _finished(self, exit_code: int, exit_status) -> None:
        self._read_output()
        ok = exit_status == QProcess.NormalExit and exit_code == 0
        self._done(ok, exit_code)

    def _done(self, ok: bool, exit_code: int) -> None:
        if self.exit_code is not None:  # errorOccurred and finished can both arrive
            return
        self.exit_code = exit_code
        self.close_button.setText("Close")
        self.cpu_button.setEnabled(True)
        self.gpu_button.setEnabled(True)
        if ok:
            for name in deps.prune(self.folder):
                self.output.appendPlainText(f"Removed {name} from the folder: QGIS has its own.")
            deps.add_to_sys_path(self.folder)  # also invalidates import caches
            still = deps.missing()
            self.succeeded = not still
            if still:
                names = ", ".join(d.module for d in still)
                self.status.setText(
                    f"pip finished, but {names} still do not import here (see above). Restart "
                    "QGIS; if that does not help, run the command above by hand."
                )
            else:
                self.status.setText(
                    "Installed. Restart QGIS so that every part of the plugin uses the new "
                    "packages (the Processing algorithms work already)."
                )
            self.missing = still
            self._update_summary()
            self.install_button.setEnabled(bool(still))
            level = Qgis.Success if self.succeeded else Qgis.Warning
        else:
            self.install_button.setEnabled(True)
            self.status.setText(self.failure_text(exit_code))
            level = Qgis.Critical
        QgsMessageLog.logMessage(self.status.text(), self.tag, level)

    def failure_text(self, exit_code: int) -> str:
        if self._cancelled:
            return "Installation cancelled; nothing was added to QGIS. Install again any time."
        if exit_code == -1:  # the interpreter itself could not be started
            return (
                f"Could not start {self.python} to run pip. Install the packages with the "
                "Python that runs QGIS (OSGeo4W Shell on Windows, the system python3 on "
                "Linux), then restart QGIS."
            )
        return (
            f"Installation failed (pip exit code {exit_code}); QGIS is unchanged. Check the "
            "output above (no internet? proxy?), then run this command by hand in a terminal "
            f"and restart QGIS:\n{deps_install.command_line(self.command())}"
        )

    def stop(self) -> None:
        """Cancel a running pip (on Cancel, close, or plugin unload), with what it started
        (a package build), which would otherwise run on orphaned."""
        if self.is_running():
            started = _descendants(self.process.processId())
            self.process.kill()
            for pid in started:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.process.waitForFinished(5000)

    def _close_or_cancel(self) -> None:
        if self.is_running():
            self.output.appendPlainText("Cancelled.")
            self._cancelled = True
            self.stop()
        else:
            super().reject()

    def reject(self) -> None:
        """Esc while pip runs cancels it (as the Cancel button does) instead of hiding a
        running install."""
        self._close_or_cancel()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.stop()
        super().closeEvent(event)
