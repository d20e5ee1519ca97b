"""The dependency check, the pip command it builds, and the plugin without its packages.

The last tests run in real headless QGIS with the dependency folder pointed at an empty
temporary folder and onnxruntime hidden: the plugin still loads, offers the install, and the
algorithms fail with a message that names the package and the fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calfin_qgis import deps, deps_install
from calfin_qgis.core import interpreter
from tests.test_plugin import EXPECTED as EXPECTED_ALGS

ROOT = Path(__file__).resolve().parent.parent


def hide(monkeypatch, *modules: str) -> None:
    """Make ``modules`` look uninstalled to the dependency check."""
    real = deps._find_spec
    monkeypatch.setattr(deps, "_find_spec", lambda m: None if m in modules else real(m))


# --- check, versions, CUDA ------------------------------------------------------------------


def test_check_reports_installed_versions() -> None:
    import onnxruntime
    import shapely
    import skimage

    report = {d.module: d for d in deps.check()}
    assert set(report) == set(deps.REQUIRED)
    assert report["onnxruntime"].version == onnxruntime.__version__
    assert report["skimage"].version == skimage.__version__
    assert report["shapely"].version == shapely.__version__
    assert all(d.found and d.error is None for d in report.values())
    assert deps.missing() == []
    # the quick check (plugin load) reads versions from package metadata, without importing
    quick = {d.module: d.version for d in deps.check(import_modules=False)}
    assert quick["skimage"] == skimage.__version__


def test_check_reports_missing_and_broken(monkeypatch) -> None:
    monkeypatch.setitem(deps.REQUIRED, "calfin_no_such_pkg", ("calfin-no-such-pkg==1", "test"))
    monkeypatch.setitem(sys.modules, "shapely", None)  # importing raises ImportError
    missing = {d.module: d for d in deps.missing()}
    assert set(missing) == {"calfin_no_such_pkg", "shapely"}
    assert missing["calfin_no_such_pkg"].version is None
    assert not missing["shapely"].found


def test_broken_package_is_missing_with_reason(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "calfin_broken_pkg").mkdir()
    (tmp_path / "calfin_broken_pkg" / "__init__.py").write_text("raise OSError('libfoo.so')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(deps.REQUIRED, "calfin_broken_pkg", ("calfin-broken-pkg", "test"))
    (dep,) = deps.missing()
    assert dep.module == "calfin_broken_pkg"
    assert dep.error == "OSError: libfoo.so"
    assert "libfoo.so" in deps_install.missing_message([dep])


def test_cuda_status_matches_onnxruntime() -> None:
    import onnxruntime

    status = deps.cuda_status()
    providers = tuple(onnxruntime.get_available_providers())
    assert status.onnxruntime == onnxruntime.__version__
    assert status.providers == providers
    assert "CPUExecutionProvider" in status.providers
    assert status.usable == ("CUDAExecutionProvider" in providers)
    assert status.distribution in {"onnxruntime", "onnxruntime-gpu"}
    assert status.as_dict()["usable"] is status.usable
    assert ("CUDA is usable" in status.detail) == status.usable


def test_cuda_status_without_onnxruntime(monkeypatch) -> None:
    hide(monkeypatch, "onnxruntime")
    status = deps.cuda_status()
    assert (status.onnxruntime, status.providers, status.usable) == (None, (), False)
    assert status.detail == "onnxruntime is not installed"


def test_module_does_not_import_heavy_packages() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import calfin_qgis.deps as d; "
        "d.check(False); "
        "print(sorted(m for m in ('onnxruntime', 'skimage', 'qgis', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_report_command_line_json(tmp_path: Path) -> None:
    folder = tmp_path / "deps"
    result = subprocess.run(
        [sys.executable, str(ROOT / "calfin_qgis" / "deps.py"), "--folder", str(folder), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    import numpy
    import onnxruntime

    assert data["folder"] == str(folder)
    versions = {d["module"]: d["version"] for d in data["required"]}
    assert versions["onnxruntime"] == onnxruntime.__version__
    assert data["provided"]["numpy"] == numpy.__version__
    assert data["cuda"]["providers"][-1] == "CPUExecutionProvider"


# --- folder and sys.path --------------------------------------------------------------------


def test_deps_folder_in_profile_and_override(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(deps.FOLDER_ENV, raising=False)
    profile = tmp_path / "profiles" / "default"
    assert deps.deps_folder(str(profile) + "/") == profile / "python" / "calfin_qgis_deps"
    monkeypatch.setenv(deps.FOLDER_ENV, str(tmp_path / "elsewhere"))
    assert deps.deps_folder(profile) == tmp_path / "elsewhere"


def test_add_to_sys_path_appends_once(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(deps, "_folder", None)
    folder = tmp_path / "deps"
    (folder / "calfin_dep_probe").mkdir(parents=True)
    (folder / "calfin_dep_probe" / "__init__.py").write_text("__version__ = '4.5.6'\n")
    assert deps.add_to_sys_path(folder) is True
    assert deps.add_to_sys_path(folder) is False
    assert sys.path.count(str(folder)) == 1
    assert sys.path[-1] == str(folder)  # last: QGIS's own numpy keeps winning
    assert deps.current_folder() == folder
    monkeypatch.setitem(deps.REQUIRED, "calfin_dep_probe", ("calfin-dep-probe", "test"))
    monkeypatch.delitem(sys.modules, "calfin_dep_probe", raising=False)
    versions = {d.module: d.version for d in deps.check()}
    assert versions["calfin_dep_probe"] == "4.5.6"


# --- pip command ----------------------------------------------------------------------------


def test_pip_command_cpu(tmp_path: Path) -> None:
    target = tmp_path / "deps"
    command = deps_install.pip_command(
        ["onnxruntime", "skimage"],
        target,
        gpu=False,
        python="/usr/bin/python3",
        numpy_version="1.24.2",
    )
    assert command == [
        "/usr/bin/python3",
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--upgrade-strategy",
        "only-if-needed",
        "--prefer-binary",
        "--disable-pip-version-check",
        "--no-input",
        "onnxruntime>=1.17,<2",
        "scikit-image>=0.22,<0.25",
        "numpy==1.24.*",
    ]


def test_pip_command_gpu_and_numpy_pins(tmp_path: Path) -> None:
    missing = [deps.Dependency("onnxruntime", "onnxruntime>=1.17,<2", "", None)]
    gpu = deps_install.pip_command(missing, tmp_path, gpu=True, numpy_version=None)
    assert "onnxruntime-gpu>=1.17,<2" in gpu
    assert not [a for a in gpu if a.startswith("onnxruntime>") or a == "onnxruntime"]
    assert gpu[-1] == "numpy<2"  # unknown numpy: never numpy 2
    import numpy

    auto = deps_install.pip_command(["shapely"], tmp_path)
    major, minor = numpy.__version__.split(".")[:2]
    assert auto[-2:] == ["shapely>=2.0,<2.1", f"numpy=={major}.{minor}.*"]
    assert major == "1"  # QGIS 3.22's GDAL needs numpy 1.x: the pin keeps it below 2
    assert deps_install.numpy_requirement("1.26.4+ds1") == "numpy==1.26.*"
    with pytest.raises(ValueError, match="unknown dependency"):
        deps_install.pip_command(["tensorflow"], tmp_path)


def test_pip_command_pins_what_the_missing_pull_in(tmp_path: Path) -> None:
    """scikit-image pulls in scipy: pip must resolve against the scipy that imports."""
    present = {"scipy": "1.10.1", "shapely": "2.0.1"}
    command = deps_install.pip_command(
        ["skimage"], tmp_path, numpy_version="1.24.2", present=present
    )
    assert command[-3:] == ["scikit-image>=0.22,<0.25", "scipy==1.10.*", "numpy==1.24.*"]
    alone = deps_install.requirements(["onnxruntime"], numpy_version="1.24.2", present=present)
    assert alone == ["onnxruntime>=1.17,<2", "numpy==1.24.*"]
    both = deps_install.requirements(["skimage", "scipy"], numpy_version="1.24.2", present=present)
    assert both == ["scikit-image>=0.22,<0.25", "scipy>=1.10,<1.14", "numpy==1.24.*"]


def fake_distribution(folder: Path, name: str, files: dict[str, str]) -> list[Path]:
    """A pip-installed distribution in ``folder``: its files and a .dist-info with RECORD."""
    info = f"{name.replace('-', '_')}-1.0.dist-info"
    files = {**files, f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"}
    record = [*files, f"{info}/RECORD"]
    files[f"{info}/RECORD"] = "".join(f"{path},,\n" for path in record)
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return [folder / path for path in files]


def test_prune_removes_only_copies_that_import_from_elsewhere(monkeypatch, tmp_path) -> None:
    """numpy imports from QGIS's site-packages: the folder's copy goes; a package whose only
    copy is in the folder stays, and so does everything that is not ours to judge."""
    folder = tmp_path / "deps"
    numpy_files = fake_distribution(
        folder, "numpy", {"numpy/__init__.py": "", "numpy.libs/libfake.so": "x"}
    )
    monkeypatch.setitem(deps.REQUIRED, "calfin_only_here", ("calfin-only-here>=1", "test"))
    only_here = fake_distribution(
        folder, "calfin-only-here", {"calfin_only_here/__init__.py": "__version__ = '1.0'\n"}
    )
    other = fake_distribution(folder, "flatbuffers", {"flatbuffers/__init__.py": ""})
    monkeypatch.setattr(sys, "path", [*sys.path, str(folder)])
    monkeypatch.delitem(sys.modules, "calfin_only_here", raising=False)

    assert deps.prune(folder) == ["numpy"]
    assert not any(path.exists() for path in numpy_files)
    assert not (folder / "numpy").exists() and not (folder / "numpy.libs").exists()
    assert all(path.exists() for path in only_here + other)
    assert deps.prune(folder) == []


def test_python_executable_is_a_python() -> None:
    python = interpreter.python_executable()
    assert Path(python).name.startswith("python")
    out = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(sys.version_info[:2])


@pytest.mark.parametrize("executable", ["/usr/bin/qgis", "/opt/pyenv/shims/python3"])
def test_python_executable_is_the_one_of_this_prefix(monkeypatch, executable) -> None:
    """Embedded in QGIS, sys.executable is the QGIS binary or the first python3 on PATH."""
    monkeypatch.setattr(sys, "executable", executable)
    python = Path(interpreter.python_executable())
    assert python.name == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert python.parent == Path(sys.prefix) / "bin"


def test_missing_message_names_package_and_fix(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(deps, "_folder", tmp_path / "deps")
    dep = deps.Dependency("onnxruntime", "onnxruntime>=1.17,<2", "runs the neural network", None)
    message = deps_install.missing_message([dep])
    assert "Missing Python packages: onnxruntime (runs the neural network)" in message
    assert "Plugins > CALFIN > Install dependencies" in message
    assert f"--target {tmp_path / 'deps'}" in message
    assert "'onnxruntime>=1.17,<2'" in message
    assert "restart QGIS" in message


# --- the plugin without its packages, in headless QGIS --------------------------------------


@pytest.fixture()
def hidden_deps(monkeypatch, tmp_path: Path) -> Path:
    """An empty dependency folder and no onnxruntime, as on a fresh QGIS."""
    folder = tmp_path / "calfin_qgis_deps"
    monkeypatch.setenv(deps.FOLDER_ENV, str(folder))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(deps, "_folder", None)
    hide(monkeypatch, "onnxruntime")
    return folder


def test_plugin_loads_and_explains_missing_package(
    qgis_app, qgis_processing, qgis_iface, hidden_deps, sample_scene, tmp_path
) -> None:
    import processing
    from qgis.core import QgsApplication, QgsProcessingException
    from qgis.PyQt.QtWidgets import QPushButton

    import calfin_qgis

    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    try:
        assert instance.deps_folder == hidden_deps
        assert sys.path[-1] == str(hidden_deps)
        provider = QgsApplication.processingRegistry().providerById("calfin")
        assert {alg.name() for alg in provider.algorithms()} == EXPECTED_ALGS

        # the non-modal offer in the message bar, with a button that opens the dialog
        item = instance.message_item
        assert item is not None
        assert item.title() == "CALFIN"
        assert item.text() == "Missing Python packages: onnxruntime. The algorithms need them."
        button = item.findChild(QPushButton, "calfinInstallButton")
        button.click()
        dialog = instance.install_dialog
        assert dialog is not None and dialog.isVisible()
        assert [d.module for d in dialog.missing] == ["onnxruntime"]
        assert dialog.command()[4:6] == ["--target", str(hidden_deps)]
        assert instance.message_item is None  # the offer went away

        out = tmp_path / "fronts.gpkg"
        with pytest.raises(QgsProcessingException) as err:
            processing.run("calfin:detect_fronts", {"INPUT": str(sample_scene), "OUTPUT": str(out)})
        message = str(err.value)
        assert "Missing Python packages: onnxruntime (runs the neural network)" in message
        assert "Install dependencies" in message
        assert f"pip install --target {hidden_deps}" in message
        assert not out.exists()
    finally:
        instance.unload()
    assert instance.install_dialog is None and instance.actions == []


def test_plugin_with_everything_installed_offers_nothing(qgis_app, qgis_iface) -> None:
    import calfin_qgis

    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    try:
        assert instance.message_item is None
        names = [a.text() for a in instance.actions]
        assert names == ["Review fronts", "Install dependencies…"]
    finally:
        instance.unload()


# --- menu, toolbar and review dock ----------------------------------------------------------


def fake_review_module():
    from types import ModuleType

    from qgis.PyQt.QtWidgets import QDockWidget

    class ReviewDock(QDockWidget):
        made: list = []

        def __init__(self, iface, parent=None) -> None:
            super().__init__("fake review", parent)
            self.iface = iface
            ReviewDock.made.append(self)

    module = ModuleType("calfin_qgis.gui.review_dock")
    module.ReviewDock = ReviewDock
    return module


def test_review_action_opens_one_dock_and_unload_removes_everything(
    qgis_app, qgis_iface, monkeypatch
) -> None:
    from unittest.mock import MagicMock

    from qgis.PyQt import sip
    from qgis.PyQt.QtCore import QCoreApplication, QEvent, Qt

    import calfin_qgis

    module = fake_review_module()
    monkeypatch.setitem(sys.modules, "calfin_qgis.gui.review_dock", module)
    calls = {
        name: MagicMock(name=name)
        for name in (
            "addPluginToMenu",
            "removePluginMenu",
            "addToolBarIcon",
            "removeToolBarIcon",
            "addDockWidget",
            "removeDockWidget",
        )
    }
    for name, mock in calls.items():
        monkeypatch.setattr(qgis_iface, name, mock)
    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    review, install = instance.review_action, instance.install_action
    assert [c.args for c in calls["addPluginToMenu"].call_args_list] == [
        ("&CALFIN", review),
        ("&CALFIN", install),
    ]
    assert calls["addToolBarIcon"].call_args.args == (review,)
    assert not review.icon().isNull()
    review.trigger()
    review.trigger()  # the second click shows the same dock
    (dock,) = module.ReviewDock.made
    assert instance.dock is dock and dock.parent() is qgis_iface.mainWindow()
    assert calls["addDockWidget"].call_args.args == (Qt.RightDockWidgetArea, dock)
    assert calls["addDockWidget"].call_count == 1
    instance.unload()
    assert [c.args for c in calls["removePluginMenu"].call_args_list] == [
        ("&CALFIN", review),
        ("&CALFIN", install),
    ]
    assert calls["removeToolBarIcon"].call_args.args == (review,)
    assert calls["removeDockWidget"].call_args.args == (dock,)
    assert instance.dock is None and instance.provider is None and instance.actions == []
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert sip.isdeleted(dock) and sip.isdeleted(review) and sip.isdeleted(install)


def test_review_dock_that_cannot_load_gives_a_message(qgis_app, qgis_iface, monkeypatch) -> None:
    from qgis.core import Qgis

    import calfin_qgis

    monkeypatch.setitem(sys.modules, "calfin_qgis.gui.review_dock", None)  # ImportError
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    try:
        assert instance.open_review_dock() is None
        (message,) = bar.get_messages(Qgis.Warning)
        assert message.startswith("CALFIN:The review dock cannot load")
        assert "Install dependencies" in message
    finally:
        instance.unload()


def test_plugin_without_gui_registers_provider_only(qgis_app) -> None:
    """qgis_process passes no interface: initGui must not touch any GUI."""
    from qgis.core import QgsApplication

    import calfin_qgis

    registry = QgsApplication.processingRegistry()
    instance = calfin_qgis.classFactory(None)
    instance.initProcessing()
    instance.initGui()
    try:
        assert registry.providerById("calfin") is not None
        assert instance.actions == [] and instance.message_item is None
    finally:
        instance.unload()


def test_review_action_opens_the_real_dock(qgis_app, qgis_iface) -> None:
    pytest.importorskip("calfin_qgis.gui.review_dock")
    import calfin_qgis

    scene = qgis_iface.mapCanvas().scene()
    items_before = len(scene.items())
    instance = calfin_qgis.classFactory(qgis_iface)
    instance.initGui()
    try:
        instance.review_action.trigger()
        assert instance.dock is not None
        assert instance.dock.objectName() == "CalfinReviewDock"
    finally:
        instance.unload()
    assert instance.dock is None
    assert len(scene.items()) == items_before  # the tools' rubber bands went with the dock
