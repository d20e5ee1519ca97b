"""Parameter groups shared by several calfin algorithms, and reading them back."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..adapter.layers import raster_path, source_geometry
from ..core import contract  # constants only: no heavy imports at QGIS start-up
from .base import DEVICES, FLOWS, feedback_log, progress_callbacks
from .values import option_value


def add_scene(
    alg, help_band: str = "Band (panchromatic or green)", description: str = "Scene"
) -> None:
    alg.addParameter(QgsProcessingParameterRasterLayer("INPUT", description))
    # Optional so that a missing BAND (qgis_process, scripts) means band 1 on QGIS 3.22.
    alg.addParameter(QgsProcessingParameterBand("BAND", help_band, 1, "INPUT", optional=True))


def add_clip(alg) -> None:
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "CLIP",
            "Front search area (fjord polygon, any CRS)",
            [QgsProcessing.TypeVectorPolygon],
            optional=True,
        )
    )


def option_parameter(
    name: str, description: str, options: list[str], default: str | None = None
) -> QgsProcessingParameterEnum:
    """An enum that takes its options' names (FLOW=up), stored as names in models; the
    indices older models and scripts pass (FLOW=1) are accepted too (``values.as_option``)."""
    return QgsProcessingParameterEnum(
        name, description, options, defaultValue=default or options[0], usesStaticStrings=True
    )


def add_inference(alg) -> None:
    alg.addParameter(option_parameter("FLOW", "Ice flow direction in the image", FLOWS))
    advanced = [
        option_parameter("DEVICE", "Execution provider", DEVICES),
        QgsProcessingParameterNumber(
            "OVERLAP",
            "Tile overlap (pixels)",
            QgsProcessingParameterNumber.Integer,
            64,
            False,
            0,
            224,
        ),
        QgsProcessingParameterNumber(
            "BATCH_SIZE", "Tiles per batch", QgsProcessingParameterNumber.Integer, 4, False, 1, 64
        ),
        QgsProcessingParameterBoolean(
            "FLIP", "Also predict mirrored tiles and average (more accurate, 2x slower)", True
        ),
    ]
    for param in advanced:
        add_advanced(alg, param)
    add_resample(alg)


def add_advanced(alg, param) -> None:
    param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    alg.addParameter(param)


def add_resample(alg) -> None:
    size = f"{contract.TRAIN_PIXEL_SIZE_M:g} m"
    label = f"Average pixels much finer than the model's {size} (e.g. 15 m panchromatic) to {size}"
    add_advanced(alg, QgsProcessingParameterBoolean("RESAMPLE", label, True))


def add_glacier_id(alg) -> None:
    alg.addParameter(QgsProcessingParameterString("GLACIER_ID", "Glacier id", "", optional=True))


COUNT_OUTPUTS = (
    ("FRONTS", "Fronts found"),
    ("SCENES", "Scenes processed"),
    ("NO_FRONT", "Scenes without a front"),
)


def add_count_outputs(alg) -> None:
    """Counts in the results (`qgis_process run --json`, the modeler), besides the paths."""
    for name, description in COUNT_OUTPUTS:
        alg.addOutput(QgsProcessingOutputNumber(name, description))


def count_results(fronts_per_scene: list[int]) -> dict:
    """The COUNT_OUTPUTS values for the number of fronts found in each scene."""
    return {
        "FRONTS": sum(fronts_per_scene),
        "SCENES": len(fronts_per_scene),
        "NO_FRONT": sum(1 for n in fronts_per_scene if n == 0),
    }


def scene_inputs(alg, parameters, context):
    """(raster layer, file path, band) of the scene parameters."""
    layer = alg.parameterAsRasterLayer(parameters, "INPUT", context)
    given = parameters.get("BAND") not in (None, "")  # BAND=0 gets open_scene's error
    band = alg.parameterAsInt(parameters, "BAND", context) if given else 1
    return layer, raster_path(layer), band


def clip_geometry(alg, parameters, context, crs):
    return source_geometry(alg.parameterAsSource(parameters, "CLIP", context), crs, context)


def inference_options(alg, parameters, context) -> dict:
    flow = option_value(alg, parameters, "FLOW", context)
    return {
        "flow": None if flow == "unknown" else flow,
        "overlap": alg.parameterAsInt(parameters, "OVERLAP", context),
        "batch_size": alg.parameterAsInt(parameters, "BATCH_SIZE", context),
        "flip": alg.parameterAsBoolean(parameters, "FLIP", context),
        "resample": alg.parameterAsBoolean(parameters, "RESAMPLE", context),
    }


def device(alg, parameters, context) -> str:
    return option_value(alg, parameters, "DEVICE", context)


def run_job(
    alg, parameters, context, feedback, extract: bool = True, keep_segmentation=False, **options
):
    """The scene parameters as a ``core.jobs.DetectJob``, run with QGIS's progress, cancel
    and log; shared by segment and detect. Returns (scene layer, ``JobResult``).

    ``options`` adds DetectOptions fields (glacier id, extraction settings) to those read here.
    """
    from ..core.detect.jobs import DetectJob, run
    from ..core.detect.segmentation import DetectOptions

    layer, path, band = scene_inputs(alg, parameters, context)
    clip = clip_geometry(alg, parameters, context, layer.crs())
    job = DetectJob(
        path,
        DetectOptions(
            band=band,
            clip=None if clip is None else clip.wkb,  # in the scene's CRS
            **inference_options(alg, parameters, context),
            **options,
        ),
        device=device(alg, parameters, context),
        extract=extract,
        keep_segmentation=keep_segmentation,
    )
    return layer, run(job, *progress_callbacks(feedback), log=feedback_log(feedback))
