"""Stand-ins for an onnxruntime session, so tiling and georeferencing can be checked exactly."""

from __future__ import annotations

import numpy as np

from calfin_qgis.core import contract
from calfin_qgis.core.network.model import Model, ModelInfo


class FunctionSession:
    """Computes (edge, mask) from the input batch with a numpy function."""

    def __init__(self, function) -> None:
        self.function = function
        self.calls = 0

    def run(self, _outputs, feeds):
        self.calls += 1
        (batch,) = feeds.values()
        return [self.function(batch).astype(np.float32)]


def fake_model(function, tile: int = 64) -> Model:
    info = ModelInfo(
        path="fake.onnx",
        name="fake",
        version="0",
        input_name="input",
        channels=contract.INPUT_CHANNELS,
        outputs=contract.OUTPUT_NAMES,
        tile_size=tile,
        size_multiple=contract.SIZE_MULTIPLE,
        flow="up",
    )
    return Model(FunctionSession(function), info, "CPUExecutionProvider")


def constant(value: float):
    return lambda batch: np.full((batch.shape[0], 2, *batch.shape[2:]), value)


def dark_is_edge(batch):
    """Edge where the stretched band (channel 0) is dark; mask = bright."""
    edge = (batch[:, 0] < 0.2).astype(np.float32)
    return np.stack([edge, 1.0 - edge], axis=1)
