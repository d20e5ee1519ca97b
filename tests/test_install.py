"""`make install` (scripts/install.py) and the install dialog, without real pip runs.

pip is replaced by small fake interpreters so that the tests need no network: one that
fails, one that "installs" a package into the --target folder the way pip would.
"""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from calfin_qgis import deps

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "install.py"


def run_install(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def fake_python(path: Path, pip_body: str) -> str:
    """A ``python3`` that sees no site-packages (as a bare QGIS Python would lack ours) and
    whose ``-m pip ...`` runs ``pip_body`` (in sh) instead of pip; its args go to pip.log."""
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ]; then\n'
        f'  echo "$@" > "{path.parent}/pip.log"\n'
        '  while [ $# -gt 0 ]; do [ "$1" = "--target" ] && target="$2"; shift; done\n'
        f"{pip_body}\n"
        "fi\n"
        f'exec {sys.executable} -S "$@"\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


FAKE_PIP_INSTALL = """
for m in onnxruntime skimage scipy shapely; do
  mkdir -p "$target/$m"; echo "__version__ = '9.9.$m'" > "$target/$m/__init__.py"
done
echo "def get_available_providers(): return ['CPUExecutionProvider']" \\
  >> "$target/onnxruntime/__init__.py"
exit 0
"""


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    path = tmp_path / "calfin_unet.onnx"
    path.write_bytes(b"\x08\x07fake-onnx" * 100)
    return path


# --- scripts/install.py ---------------------------------------------------------------------


def test_install_puts_plugin_into_profile(tmp_path: Path, model: Path) -> None:
    profile = tmp_path / "profiles" / "default"
    result = run_install("--profile-dir", str(profile), "--no-deps", "--model", str(model))
    assert result.returncode == 0, result.stderr
    plugin = profile / "python" / "plugins" / "calfin_qgis"
    meta = plugin / "metadata.txt"
    assert meta.is_file() and not meta.is_symlink()
    assert meta.read_text() == (ROOT / "metadata.txt").read_text()
    assert (plugin / "model" / "calfin_unet.onnx").read_bytes() == model.read_bytes()
    assert (plugin / "__init__.py").read_text() == (ROOT / "calfin_qgis/__init__.py").read_text()
    assert (plugin / "deps.py").is_file() and (plugin / "processing" / "provider.py").is_file()
    assert (plugin / "icons" / "calfin.svg").is_file()
    assert not list(plugin.rglob("__pycache__"))
    assert not [p for p in plugin.rglob("*") if p.is_symlink()]
    assert sorted(p.name for p in plugin.parent.iterdir()) == ["calfin_qgis"]
    ini = configparser.ConfigParser()
    ini.read(profile / "QGIS" / "QGIS3.ini")
    assert ini["PythonPlugins"]["calfin_qgis"] == "true"
    assert not (profile / "python" / "calfin_qgis_deps").exists()  # --no-deps


def test_second_install_replaces_the_first(tmp_path: Path, model: Path) -> None:
    profile = tmp_path / "profile"
    args = ("--profile-dir", str(profile), "--no-deps", "--no-enable")
    assert run_install(*args, "--model", str(model)).returncode == 0
    plugin = profile / "python" / "plugins" / "calfin_qgis"
    (plugin / "stale_module.py").write_text("old = True\n")
    newer = tmp_path / "newer.onnx"
    newer.write_bytes(b"newer model")
    result = run_install(*args, "--model", str(newer))
    assert result.returncode == 0, result.stderr
    assert not (plugin / "stale_module.py").exists()
    assert (plugin / "model" / "calfin_unet.onnx").read_bytes() == b"newer model"
    assert (plugin / "metadata.txt").is_file()
    assert sorted(p.name for p in plugin.parent.iterdir()) == ["calfin_qgis"]  # no leftovers
    assert not (profile / "QGIS" / "QGIS3.ini").exists()  # --no-enable


def test_install_replaces_a_development_symlink(tmp_path: Path, model: Path) -> None:
    plugins = tmp_path / "profile" / "python" / "plugins"
    plugins.mkdir(parents=True)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "keep.txt").write_text("mine")
    (plugins / "calfin_qgis").symlink_to(checkout)
    result = run_install(
        "--profile-dir",
        str(tmp_path / "profile"),
        "--no-deps",
        "--no-enable",
        "--model",
        str(model),
    )
    assert result.returncode == 0, result.stderr
    assert not (plugins / "calfin_qgis").is_symlink()
    assert (plugins / "calfin_qgis" / "metadata.txt").is_file()
    assert (checkout / "keep.txt").read_text() == "mine"  # the link's target is untouched


def test_install_without_model_fails_clearly(tmp_path: Path) -> None:
    result = run_install(
        "--profile-dir", str(tmp_path / "p"), "--no-deps", "--model", str(tmp_path / "none.onnx")
    )
    assert result.returncode != 0
    assert "none.onnx" in result.stderr and "make train" in result.stderr
    assert not (tmp_path / "p" / "python" / "plugins" / "calfin_qgis").exists()


def test_install_env_var_profile(tmp_path: Path, model: Path) -> None:
    profile = tmp_path / "from_env"
    result = run_install(
        "--no-deps", "--no-enable", "--model", str(model), env={"CALFIN_QGIS_PROFILE": str(profile)}
    )
    assert result.returncode == 0, result.stderr
    assert (profile / "python" / "plugins" / "calfin_qgis" / "__init__.py").is_file()


def test_install_skips_pip_when_dependencies_are_present(tmp_path: Path, model: Path) -> None:
    profile = tmp_path / "profile"
    result = run_install(
        "--profile-dir",
        str(profile),
        "--no-enable",
        "--model",
        str(model),
        "--python",
        sys.executable,
    )
    assert result.returncode == 0, result.stderr
    folder = profile / "python" / "calfin_qgis_deps"
    assert f"install: dependencies present for {sys.executable} (folder {folder})" in result.stdout


def test_install_failed_pip_says_what_to_run(tmp_path: Path, model: Path) -> None:
    profile = tmp_path / "profile"
    python = fake_python(tmp_path / "python3", '  echo "ERROR: no network" >&2; exit 1')
    result = run_install(
        "--profile-dir", str(profile), "--no-enable", "--model", str(model), "--python", python
    )
    assert result.returncode == 1
    folder = profile / "python" / "calfin_qgis_deps"
    assert "install: installing onnxruntime, skimage, scipy, shapely" in result.stdout
    assert "ERROR: no network" in result.stderr
    assert "pip failed; the plugin is installed and QGIS works" in result.stderr
    assert f"Run by hand: {python} -m pip install --target {folder}" in result.stderr
    pip_args = (tmp_path / "pip.log").read_text().split()
    assert pip_args[:4] == ["-m", "pip", "install", "--target"]
    assert pip_args[-1] == "numpy<2"  # that python has no numpy: pinned below 2 anyway
    assert "onnxruntime>=1.17,<2" in pip_args
    assert (profile / "python" / "plugins" / "calfin_qgis" / "__init__.py").is_file()


def test_install_installs_missing_into_profile_folder(tmp_path: Path, model: Path) -> None:
    profile = tmp_path / "profile"
    python = fake_python(tmp_path / "python3", FAKE_PIP_INSTALL)
    result = run_install(
        "--profile-dir",
        str(profile),
        "--no-enable",
        "--gpu",
        "--model",
        str(model),
        "--python",
        python,
    )
    assert result.returncode == 0, result.stderr
    folder = profile / "python" / "calfin_qgis_deps"
    assert (folder / "skimage" / "__init__.py").read_text() == "__version__ = '9.9.skimage'\n"
    assert "onnxruntime-gpu>=1.17,<2" in (tmp_path / "pip.log").read_text().split()
    # a second run finds them and runs no pip
    (tmp_path / "pip.log").unlink()
    again = run_install(
        "--profile-dir", str(profile), "--no-enable", "--model", str(model), "--python", python
    )
    assert again.returncode == 0, again.stderr
    assert "install: dependencies present" in again.stdout
    assert not (tmp_path / "pip.log").exists()


# --- the install dialog ---------------------------------------------------------------------


def wait_for(dialog, qgis_app) -> None:
    assert dialog.process.waitForFinished(60000)
    for _ in range(50):
        qgis_app.processEvents()
        if dialog.exit_code is not None:
            return
    raise AssertionError("the dialog never saw pip finish")


@pytest.fixture()
def fake_dep(monkeypatch, tmp_path: Path):
    """A required package that is missing, and a clean sys.path to install it to."""
    monkeypatch.setitem(deps.REQUIRED, "calfin_fake_dep", ("calfin-fake-dep>=1", "testing"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(deps, "_folder", None)
    monkeypatch.delitem(sys.modules, "calfin_fake_dep", raising=False)
    (dep,) = deps.missing()
    return dep


def test_dialog_lists_missing_and_builds_command(qgis_app, fake_dep, tmp_path: Path) -> None:
    from calfin_qgis.gui.install_dialog import InstallDialog

    onnx = deps.Dependency("onnxruntime", "onnxruntime>=1.17,<2", "runs the neural network", None)
    dialog = InstallDialog([onnx], tmp_path / "deps", python="/usr/bin/python3")
    try:
        assert "onnxruntime" in dialog.summary.text()
        assert str(tmp_path / "deps") in dialog.summary.text()
        assert not dialog.gpu_button.isHidden() and not dialog.cpu_button.isHidden()
        dialog.cpu_button.setChecked(True)
        assert "onnxruntime>=1.17,<2" in dialog.command()
        dialog.gpu_button.setChecked(True)
        assert "onnxruntime-gpu>=1.17,<2" in dialog.command()
        assert "onnxruntime-gpu" in dialog.command_label.text()
        assert dialog.command()[:6] == [
            "/usr/bin/python3",
            "-m",
            "pip",
            "install",
            "--target",
            str(tmp_path / "deps"),
        ]
        assert dialog.process is None  # nothing runs before the user presses Install
    finally:
        dialog.deleteLater()
    without_onnx = InstallDialog([fake_dep], tmp_path / "deps", python="/usr/bin/python3")
    assert without_onnx.gpu_button.isHidden()  # no runtime choice without onnxruntime
    assert without_onnx.gpu is False
    without_onnx.deleteLater()


def test_dialog_failed_install_shows_command(qgis_app, fake_dep, tmp_path: Path) -> None:
    from calfin_qgis.gui.install_dialog import InstallDialog

    python = fake_python(tmp_path / "python3", '  echo "ERROR: no network"; exit 3')
    dialog = InstallDialog([fake_dep], tmp_path / "deps", python=python)
    assert dialog.install() is True
    assert dialog.install() is False  # already running
    assert dialog.output.isReadOnly()
    wait_for(dialog, qgis_app)
    assert dialog.exit_code == 3 and not dialog.succeeded
    assert "ERROR: no network" in dialog.output.toPlainText()
    status = dialog.status.text()
    assert "Installation failed (pip exit code 3); QGIS is unchanged" in status
    assert f"{python} -m pip install --target {tmp_path / 'deps'}" in status
    assert "'calfin-fake-dep>=1'" in status
    assert dialog.install_button.isEnabled()  # can try again
    dialog.deleteLater()


def test_dialog_successful_install(qgis_app, fake_dep, tmp_path: Path) -> None:
    from calfin_qgis.gui.install_dialog import InstallDialog

    body = (
        '  mkdir -p "$target/calfin_fake_dep"\n'
        '  echo "__version__ = \'1.2\'" > "$target/calfin_fake_dep/__init__.py"\n'
        '  echo "Successfully installed calfin-fake-dep-1.2"; exit 0'
    )
    python = fake_python(tmp_path / "python3", body)
    folder = tmp_path / "deps"
    dialog = InstallDialog([fake_dep], folder, python=python)
    dialog.install()
    wait_for(dialog, qgis_app)
    assert dialog.exit_code == 0 and dialog.succeeded
    assert "Successfully installed calfin-fake-dep-1.2" in dialog.output.toPlainText()
    assert "Restart QGIS" in dialog.status.text()
    assert str(folder) in sys.path
    assert {d.module: d.version for d in deps.check()}["calfin_fake_dep"] == "1.2"
    assert not dialog.install_button.isEnabled()
    dialog.deleteLater()


def test_dialog_cancel_escape_and_a_python_that_does_not_start(
    qgis_app, fake_dep, tmp_path: Path
) -> None:
    """Esc cancels a running pip (it used to hide the dialog with pip still running); a
    cancel and an interpreter that cannot start are said as such, not as network trouble."""
    import time

    from calfin_qgis.gui.install_dialog import InstallDialog

    def settle(dialog) -> None:
        deadline = time.monotonic() + 10
        while dialog.exit_code is None and time.monotonic() < deadline:
            qgis_app.processEvents()
            time.sleep(0.01)

    python = fake_python(tmp_path / "python3", "  sleep 30; exit 0")
    dialog = InstallDialog([fake_dep], tmp_path / "deps", python=python)
    dialog.install()
    assert dialog.process.waitForStarted(5000) and dialog.is_running()
    dialog.reject()  # what Esc does
    settle(dialog)
    assert not dialog.is_running()
    assert dialog.status.text().startswith("Installation cancelled")
    dialog.deleteLater()
    missing = InstallDialog([fake_dep], tmp_path / "deps", python=str(tmp_path / "no_python"))
    missing.install()
    settle(missing)
    assert missing.exit_code == -1
    assert "Could not start" in missing.status.text() and "proxy" not in missing.status.text()
    missing.deleteLater()


def test_dialog_cancel_also_stops_what_pip_started(qgis_app, fake_dep, tmp_path: Path) -> None:
    """pip building a package runs children; Cancel must not leave them running orphaned."""
    import time

    from calfin_qgis.gui.install_dialog import InstallDialog

    body = f'  sleep 60 & echo $! > "{tmp_path}/child.pid"; wait'
    dialog = InstallDialog([fake_dep], tmp_path / "deps", python=fake_python(tmp_path / "py", body))
    dialog.install()
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    dialog.stop()
    time.sleep(0.2)
    state = Path(f"/proc/{child}/stat")
    assert not state.exists() or state.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    dialog.deleteLater()


def test_dialog_offers_pytorch_for_fine_tuning(qgis_app, monkeypatch, tmp_path: Path) -> None:
    """With every required package present but PyTorch missing, the dialog offers the
    optional fine-tuning packages (CPU build, from PyTorch's index) only when asked."""
    from calfin_qgis.gui.install_dialog import InstallDialog

    real = deps._find_spec
    monkeypatch.setattr(deps, "_find_spec", lambda m: None if m == "torch" else real(m))
    dialog = InstallDialog([], tmp_path / "deps", python="/usr/bin/python3")
    try:
        assert not dialog.fine_tuning.isHidden()
        assert not dialog.install_button.isEnabled()
        assert "torch>=2.2" not in dialog.command()
        dialog.fine_tuning.setChecked(True)
        assert dialog.install_button.isEnabled()
        command = dialog.command()
        assert "torch>=2.2" in command and deps.TORCH_CPU_INDEX in command
        assert "onnx>=1.15" not in command  # onnx is there
    finally:
        dialog.deleteLater()
