"""The model's input/output contract, shared by training, export and inference, and the
pipeline defaults that follow from it; constants only, so that QGIS start-up (parameter
defaults, help texts) can import it cheaply.

The ONNX file carries the model's facts as metadata (``calfin.*`` keys) so that the plugin
can check at load time that a model matches the preprocessing it will be fed.
"""

from __future__ import annotations

PREPROCESS_VERSION = "1"
"""Bumped whenever :mod:`calfin_qgis.core.network.preprocess` changes what the model sees."""

PREPROCESSED_KEY = "CALFIN_PREPROCESS_VERSION"
"""Raster metadata item marking the output of ``calfin:preprocess`` (the model's input)."""

INPUT_CHANNELS = 3
"""raw stretched band, local contrast (CLAHE), retinex-like shadows/highlights."""

OUTPUT_NAMES = ("edge", "mask")
"""Sigmoid probabilities: calving-front edge, and ice (1) versus ocean (0)."""

TILE_SIZE = 256
"""Default inference tile edge in pixels; the network accepts any multiple of SIZE_MULTIPLE."""

SIZE_MULTIPLE = 16
"""Height and width fed to the network must be multiples of this (four 2x poolings)."""

EDGE_THRESHOLD = 0.33
"""CALFIN's threshold on the edge channel."""

EDGE_LOW_THRESHOLD = 0.15
"""Hysteresis: weaker edge pixels are kept where they connect to pixels above EDGE_THRESHOLD."""

TRAIN_PIXEL_SIZE_M = 40.0
"""Pixel size (metres) of the training scenes (30-50 m); finer scenes are averaged to it."""

FINE_PIXEL_FRACTION = 0.6
"""Scenes whose pixels are finer than this fraction of the model's are averaged to its size."""

AUTO_FLOW_LIMIT = 16_000_000
"""Larger windows hold many glaciers flowing every way: no single direction to estimate."""

CANONICAL_FLOW = "up"
"""Orientation the network was trained for: ice flowing towards the top of the tile."""

FLOWS = {"up": 0, "down": 2, "left": 3, "right": 1}
"""The ice flow directions by name, each with the quarter turns (counter-clockwise,
``np.rot90``) that bring it to 'up'."""

DEVICES = ("auto", "cpu", "cuda")
"""Where the network runs: auto is CUDA when onnxruntime-gpu and a GPU are present, else CPU."""

METADATA_KEYS = {
    "name": "calfin.name",
    "version": "calfin.version",
    "preprocess": "calfin.preprocess_version",
    "channels": "calfin.input_channels",
    "outputs": "calfin.outputs",
    "tile_size": "calfin.tile_size",
    "size_multiple": "calfin.size_multiple",
    "flow": "calfin.canonical_flow",
    "pixel_size_m": "calfin.train_pixel_size_m",
}
