"""Build the zip a user installs with Plugins > Install from ZIP.

Top folder ``calfin_qgis/`` with metadata.txt, the code, icons, the model and the licence;
no tests, caches or training code.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "calfin_qgis"
MODEL = ROOT / "model" / "calfin_unet.onnx"
REPLAY = ROOT / "model" / "replay" / "frontlearning_replay.npz"
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def plugin_files() -> list[tuple[Path, str]]:
    """(source, name in zip) pairs; metadata.txt is read through its link."""
    files = [
        (path, f"calfin_qgis/{path.relative_to(PLUGIN)}")
        for path in sorted(PLUGIN.rglob("*"))
        if path.is_file() and not SKIP_PARTS & set(path.parts) and path.suffix != ".pyc"
    ]
    files.append((ROOT / "LICENSE", "calfin_qgis/LICENSE"))
    files.append((ROOT / "model" / "MODEL_CARD.md", "calfin_qgis/model/MODEL_CARD.md"))
    files.append((MODEL, "calfin_qgis/model/calfin_unet.onnx"))
    files.append((REPLAY, f"calfin_qgis/model/replay/{REPLAY.name}"))  # for fine-tuning
    return files


def main(target: str) -> None:
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    missing = [str(src) for src, _ in plugin_files() if not src.exists()]
    if missing:
        sys.exit(f"package: missing {', '.join(missing)}; run make train or restore them")
    tmp = out.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for src, name in plugin_files():
            archive.write(src, name)
    tmp.replace(out)
    print(f"package: {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(sys.argv[1])
