"""The U-Net of training and export: defined once in ``calfin_qgis.core.finetune.net``
(the plugin's fine-tuning trains the same network), re-exported here for ``model/``'s scripts.

Input ``(N, 3, H, W)`` float32 from :func:`calfin_qgis.core.network.preprocess.model_input`,
H and W multiples of 16. Output: logits ``(N, 2, H, W)`` (channel 0 front edge,
channel 1 ice mask); :class:`ProbsWrapper` adds the sigmoid (and averages an ensemble) for export.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calfin_qgis.core.finetune.net import ProbsWrapper, UNet, count_parameters  # noqa: E402

__all__ = ["ProbsWrapper", "UNet", "count_parameters"]

if __name__ == "__main__":
    import torch

    m = UNet()
    print(count_parameters(m))
    print(m(torch.zeros(1, 3, 64, 96)).shape)
