"""Write ``model/replay/frontlearning_replay.npz``: the replay set fine-tuning mixes in.

Fine-tuning on one glacier's fronts alone made the other glaciers worse (issue 22's first
try: 0.66 -> 6.49 px); replaying original training scenes in every batch kept them. A
user's machine has no copy of the training data, so the plugin ships this small set:
PER_GLACIER scenes of each FrontLearning glacier, spread over the record by date, as the
8-bit band and the 3-px front of training (``model/dataset.py``), each with its glacier.

    .venv/bin/python scripts/make_replay.py [../shared/data/frontlearning/train]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "model"))
sys.path.insert(0, str(ROOT))

from dataset import DATA_DIR, list_scenes  # noqa: E402

from calfin_qgis.core.evaluation.breakdown import GLACIERS  # noqa: E402
from calfin_qgis.core.finetune.replay import REPLAY_FILE  # noqa: E402
from calfin_qgis.core.products.naming import scene_date  # noqa: E402

PER_GLACIER = 16


def main() -> int:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR
    chosen = []
    for glacier in GLACIERS:
        scenes = sorted(list_scenes([glacier], data), key=lambda s: str(scene_date(s.name)))
        picks = np.linspace(0, len(scenes) - 1, min(PER_GLACIER, len(scenes))).round()
        chosen += [scenes[int(i)] for i in picks]
    out = ROOT / "model" / "replay" / REPLAY_FILE
    np.savez_compressed(
        out,
        names=np.array([s.name for s in chosen]),
        glaciers=np.array([s.glacier for s in chosen]),
        grey=np.stack([s.grey for s in chosen]),
        front3=np.packbits(np.stack([s.front3 for s in chosen]), axis=-1),
        width=np.array(chosen[0].grey.shape[1]),
    )
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {len(chosen)} scenes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
