"""Loading the ONNX model: file checks, input contract, execution provider choice.

onnxruntime is imported here only, lazily, so that everything else loads without it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .. import contract
from ..errors import InputError

LOG = logging.getLogger(__name__)

MODEL_FILE = "calfin_unet.onnx"
THREADS_ENV = "CALFIN_ORT_THREADS"
"""onnxruntime intra-op threads when the caller names none: the batch's worker processes get
their share of the cores this way (``executors``); unset, onnxruntime uses every core."""


def default_model_path() -> Path:
    """The bundled model: $CALFIN_MODEL, the plugin's model/ folder, or the checkout's."""
    if os.environ.get("CALFIN_MODEL"):
        return Path(os.environ["CALFIN_MODEL"])
    package = Path(__file__).resolve().parents[2]  # calfin_qgis/
    for candidate in (package / "model" / MODEL_FILE, package.parent / "model" / MODEL_FILE):
        if candidate.exists():
            return candidate
    return package / "model" / MODEL_FILE


@dataclass(frozen=True)
class ModelInfo:
    path: str
    name: str
    version: str
    input_name: str
    channels: int
    outputs: tuple[str, ...]
    tile_size: int
    size_multiple: int
    flow: str
    pixel_size_m: float = contract.TRAIN_PIXEL_SIZE_M
    """The pixel size the network was trained at."""

    @property
    def source(self) -> str:
        return f"{self.name} {self.version}"


class Model:
    """An onnxruntime session plus the model's contract; ``provider`` is the one that runs."""

    def __init__(self, session, info: ModelInfo, provider: str) -> None:
        self.session = session
        self.info = info
        self.provider = provider

    def run(self, batch):
        """(N, C, H, W) float32 → (N, outputs, H, W) float32 probabilities."""
        return self.session.run(None, {self.info.input_name: batch})[0]


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as err:
        raise InputError(
            "The Python package onnxruntime is missing. Install it from the CALFIN plugin "
            "menu (Install dependencies) or run: python3 -m pip install --user onnxruntime"
        ) from err
    return onnxruntime


def choose_providers(device: str, available: list[str]) -> tuple[list[str], str | None]:
    """Execution providers for ``device`` and a warning when the request cannot be met."""
    if device not in contract.DEVICES:
        raise InputError(
            f"Unknown device '{device}'. Choose one of: {', '.join(contract.DEVICES)}."
        )
    has_cuda = "CUDAExecutionProvider" in available
    if device == "cpu" or (device == "auto" and not has_cuda):
        return ["CPUExecutionProvider"], None
    if not has_cuda:
        return ["CPUExecutionProvider"], (
            "CUDA was requested but onnxruntime has no CUDA support here "
            f"(available: {', '.join(available)}); running on CPU. Install onnxruntime-gpu "
            "and the CUDA runtime to use the GPU."
        )
    return ["CUDAExecutionProvider", "CPUExecutionProvider"], None


def env_threads() -> int | None:
    """$CALFIN_ORT_THREADS as a thread count, None when unset."""
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"{THREADS_ENV}={text} is not a thread count: set a whole number >= 1.")
    return int(text)


def load_model(
    path: str | os.PathLike | None = None,
    device: str = "auto",
    threads: int | None = None,
    optimize: bool = True,
) -> tuple[Model, list[str]]:
    """Open and check the model; return it and messages for the user's log.

    ``optimize=False`` skips onnxruntime's graph optimizations: a quarter of the load time,
    for checks that never run the model.
    """
    chosen = bool(path)  # named by the caller (--model), not the bundled one
    path = Path(path) if path else default_model_path()
    fix = (
        "Check the path, or leave it out to use the bundled model."
        if chosen
        else "Reinstall the plugin to restore the bundled model, or set CALFIN_MODEL to a "
        "calfin ONNX model."
    )
    if not path.exists():
        raise InputError(f"Model file not found: {path}. {fix}")
    ort = _import_onnxruntime()
    providers, warning = choose_providers(device, ort.get_available_providers())
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: the same speed on an idle machine, and
    # much faster when QGIS or another job shares the cores (measured 4.8 s vs 6.1 s a scene).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    threads = threads or env_threads()
    if threads:
        options.intra_op_num_threads = threads
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(str(path), options, providers=providers)
    except Exception as err:  # onnxruntime raises its own exception types
        raise InputError(
            f"Cannot load the model {path.name}: it is not a valid ONNX file ({err}). {fix}"
        ) from err
    info = model_info(session, str(path))
    ran = session.get_providers()[0]
    messages = [warning] if warning else []
    if device == "cuda" and ran != "CUDAExecutionProvider" and not warning:
        messages.append("CUDA was requested but could not start; running on CPU.")
    messages.append(f"Model {info.source} running on onnxruntime {ort.__version__} with {ran}")
    return Model(session, info, ran), messages


def model_info(session, path: str) -> ModelInfo:
    """Read and check the contract metadata and the input shape of a loaded model."""
    meta = session.get_modelmeta().custom_metadata_map
    keys = contract.METADATA_KEYS
    inputs = session.get_inputs()
    shape = inputs[0].shape if inputs else []
    channels = int(meta.get(keys["channels"], contract.INPUT_CHANNELS))
    if len(inputs) != 1 or len(shape) != 4 or shape[1] not in (channels, "channels", None):
        raise InputError(
            f"The model {Path(path).name} has input shape {shape}; calfin needs one input "
            f"of shape (batch, {contract.INPUT_CHANNELS}, height, width). Use the bundled model."
        )
    if channels != contract.INPUT_CHANNELS:
        raise InputError(
            f"The model expects {channels} input channels but the preprocessing makes "
            f"{contract.INPUT_CHANNELS}. Use a model exported for calfin_qgis."
        )
    version = meta.get(keys["preprocess"])
    if version is not None and version != contract.PREPROCESS_VERSION:
        raise InputError(
            f"The model was trained with preprocessing version {version} but this plugin "
            f"makes version {contract.PREPROCESS_VERSION}. Update the plugin or the model."
        )
    return ModelInfo(
        path=path,
        name=meta.get(keys["name"], Path(path).stem),
        version=meta.get(keys["version"], "unknown"),
        input_name=inputs[0].name,
        channels=channels,
        outputs=tuple(meta.get(keys["outputs"], ",".join(contract.OUTPUT_NAMES)).split(",")),
        tile_size=int(meta.get(keys["tile_size"], contract.TILE_SIZE)),
        size_multiple=int(meta.get(keys["size_multiple"], contract.SIZE_MULTIPLE)),
        flow=meta.get(keys["flow"], contract.CANONICAL_FLOW),
        pixel_size_m=float(meta.get(keys["pixel_size_m"], contract.TRAIN_PIXEL_SIZE_M)),
    )


def model_problem(path: str | os.PathLike | None = None) -> str | None:
    """What is wrong with the model file (missing, corrupt, wrong contract), or None."""
    try:
        load_model(path, "cpu", threads=1, optimize=False)
    except InputError as err:
        return str(err)
    return None
