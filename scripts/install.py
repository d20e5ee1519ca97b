"""Install calfin_qgis into the current user's QGIS profile (``make install``).

1. Copies the plugin (the files ``scripts/package.py`` ships: code, icons, metadata.txt read
   through its link, the model at ``calfin_qgis/model/calfin_unet.onnx``) to
   ``<profile>/python/plugins/calfin_qgis``, replacing an older copy by a swap of folders.
2. Installs the missing Python packages with pip into the plugin's dependency folder
   ``<profile>/python/calfin_qgis_deps``, for QGIS's Python (on Debian /usr/bin/python3; this
   script runs in the checkout's venv, whose base interpreter is that one). Skipped with
   ``--no-deps`` or when nothing is missing.
3. Enables the plugin in the profile's settings (QGIS3.ini, PythonPlugins/calfin_qgis), which
   desktop QGIS and ``qgis_process`` both read; for the default profile it also runs
   ``qgis_process.bin plugins enable calfin_qgis``. ``--no-enable`` skips this.

Profile: ``--profile-dir``, else $CALFIN_QGIS_PROFILE, else
``~/.local/share/QGIS/QGIS3/profiles/default``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from package import MODEL, ROOT, plugin_files  # noqa: E402

from calfin_qgis import (
    deps,  # noqa: E402
    deps_install,  # noqa: E402
)

NAME = "calfin_qgis"
DEFAULT_PROFILE = Path("~/.local/share/QGIS/QGIS3/profiles/default")
PROFILE_ENV = "CALFIN_QGIS_PROFILE"
QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")
OPTIONAL = {ROOT / "LICENSE", ROOT / "model" / "MODEL_CARD.md"}


def profile_dir(arg: str | None) -> Path:
    return Path(arg or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE).expanduser().resolve()


def qgis_python() -> str:
    """The interpreter QGIS embeds: the venv's base interpreter (Debian: /usr/bin/python3)."""
    if sys.prefix != sys.base_prefix:
        base = getattr(sys, "_base_executable", "")
        if base and Path(base).is_file():
            return base
    return sys.executable


def install_plugin(plugins_dir: Path, model: Path = MODEL) -> Path:
    """Copy the plugin into ``plugins_dir/calfin_qgis`` (staged beside it, then swapped)."""
    files = [(model if src == MODEL else src, name) for src, name in plugin_files()]
    absent = [src for src, _ in files if not src.exists() and src not in OPTIONAL]
    if absent:
        sys.exit(
            f"install: missing {', '.join(map(str, absent))}; run make train (model) or "
            "restore them"
        )
    plugins_dir.mkdir(parents=True, exist_ok=True)
    target = plugins_dir / NAME
    stage = Path(tempfile.mkdtemp(prefix=f".{NAME}.new-", dir=plugins_dir))
    try:
        for src, name in files:
            if not src.exists():
                continue
            dest = stage / Path(name).relative_to(NAME)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)  # follows links: metadata.txt arrives as a real file
        stage.chmod(0o755)
        swap(stage, target)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return target


def swap(stage: Path, target: Path) -> None:
    """Put ``stage`` at ``target``; an older ``target`` (folder or link) is moved aside first.

    Two renames within one folder: QGIS sees the old copy or the new one, never a half copy;
    if the second rename fails the old copy is put back.
    """
    if not target.exists() and not target.is_symlink():
        stage.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{NAME}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        stage.rename(target)
    except OSError:
        old.rename(target)
        raise
    if old.is_symlink():
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


def dependency_report(python: str, folder: Path, plugin: Path, prune: bool = False) -> dict:
    """What ``python`` (QGIS's interpreter) can import with ``folder`` on its path; with
    ``prune``, after removing the folder's copies of packages it imports from elsewhere."""
    result = subprocess.run(
        [python, str(plugin / "deps.py"), "--folder", str(folder), "--json"]
        + (["--prune"] if prune else []),
        capture_output=True,
        text=True,
        timeout=300,
    )
    for line in result.stderr.splitlines():
        if line.startswith("removed "):
            print(f"install: {line}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        sys.exit(f"install: could not check dependencies with {python}:\n{result.stderr}")


def install_dependencies(python: str, folder: Path, plugin: Path, gpu: bool) -> int:
    """pip-install what ``python`` lacks into ``folder``; 0 when nothing is missing after."""
    data = dependency_report(python, folder, plugin)
    missing = [d["module"] for d in data["required"] if not d["found"]]
    if not missing:
        print(f"install: dependencies present for {python} (folder {folder})")
        return 0
    command = deps_install.pip_command(
        missing,
        folder,
        gpu,
        python=python,
        numpy_version=data["provided"].get("numpy"),
        present={d["module"]: d["version"] for d in data["required"] if d["found"]},
    )
    print(
        f"install: installing {', '.join(missing)}: {deps_install.command_line(command)}",
        flush=True,
    )
    folder.mkdir(parents=True, exist_ok=True)
    if subprocess.run(command).returncode != 0:
        print(
            f"install: pip failed; the plugin is installed and QGIS works, but its algorithms "
            f"need {', '.join(missing)}. Run by hand: {deps_install.command_line(command)}",
            file=sys.stderr,
        )
        return 1
    after = dependency_report(python, folder, plugin, prune=True)["required"]
    still = [d["module"] for d in after if not d["found"]]
    if still:
        print(f"install: still missing after pip: {', '.join(still)}", file=sys.stderr)
        return 1
    return 0


def enable_plugin(profile: Path) -> None:
    """Mark the plugin enabled in the profile's QGIS3.ini (desktop QGIS and qgis_process)."""
    from qgis.PyQt.QtCore import QSettings

    settings = QSettings(str(profile / "QGIS" / "QGIS3.ini"), QSettings.IniFormat)
    settings.setValue(f"PythonPlugins/{NAME}", True)
    settings.sync()
    if settings.status() != QSettings.NoError:
        print(f"install: could not write {settings.fileName()}", file=sys.stderr)
    if profile == DEFAULT_PROFILE.expanduser().resolve() and QGIS_PROCESS.exists():
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        subprocess.run(
            [str(QGIS_PROCESS), "plugins", "enable", NAME],
            env=env,
            capture_output=True,
            timeout=300,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile-dir", help=f"QGIS profile folder (default {DEFAULT_PROFILE})")
    parser.add_argument("--no-deps", action="store_true", help="do not pip-install packages")
    parser.add_argument("--gpu", action="store_true", help="install onnxruntime-gpu (CUDA)")
    parser.add_argument("--no-enable", action="store_true", help="do not enable the plugin")
    parser.add_argument("--python", help="QGIS's Python interpreter (default: the venv's base)")
    parser.add_argument("--model", type=Path, default=MODEL, help="the ONNX model to bundle")
    args = parser.parse_args(argv)

    profile = profile_dir(args.profile_dir)
    plugin = install_plugin(profile / "python" / "plugins", args.model)
    print(f"install: plugin in {plugin}")
    status = 0
    if not args.no_deps:
        folder = deps.deps_folder(profile)
        status = install_dependencies(args.python or qgis_python(), folder, plugin, args.gpu)
    if not args.no_enable:
        enable_plugin(profile)
        print("install: plugin enabled; restart QGIS to load it")
    return status


if __name__ == "__main__":
    sys.exit(main())
