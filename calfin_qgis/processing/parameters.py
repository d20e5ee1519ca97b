"""Parameter groups shared by several calfin algorithms, and reading them back."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..core import contract  # constants only: no heavy imports at QGIS start-up
from .base import DEVICES, FLOWS, load_model, progress_callbacks
from .layers import raster_path, source_geometry


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


def add_inference(alg) -> None:
    alg.addParameter(
        QgsProcessingParameterEnum("FLOW", "Ice flow direction in the image", FLOWS, defaultValue=0)
    )
    advanced = [
        QgsProcessingParameterEnum("DEVICE", "Execution provider", DEVICES, defaultValue=0),
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


def scene_inputs(alg, parameters, context):
    """(raster layer, file path, band) of the scene parameters."""
    layer = alg.parameterAsRasterLayer(parameters, "INPUT", context)
    given = parameters.get("BAND") not in (None, "")  # BAND=0 gets open_scene's error
    band = alg.parameterAsInt(parameters, "BAND", context) if given else 1
    return layer, raster_path(layer), band


def clip_geometry(alg, parameters, context, crs):
    return source_geometry(alg.parameterAsSource(parameters, "CLIP", context), crs, context)


def inference_options(alg, parameters, context) -> dict:
    flow = FLOWS[alg.parameterAsEnum(parameters, "FLOW", context)]
    return {
        "flow": None if flow == "unknown" else flow,
        "overlap": alg.parameterAsInt(parameters, "OVERLAP", context),
        "batch_size": alg.parameterAsInt(parameters, "BATCH_SIZE", context),
        "flip": alg.parameterAsBoolean(parameters, "FLIP", context),
        "resample": alg.parameterAsBoolean(parameters, "RESAMPLE", context),
    }


def device(alg, parameters, context) -> str:
    return DEVICES[alg.parameterAsEnum(parameters, "DEVICE", context)]


def run_segmentation(alg, parameters, context, feedback, **options):
    """The scene parameters through ``core.pipeline.segment``, shared by segment and detect.

    Returns (scene layer, core scene, model, segment result, DetectOptions); ``options``
    adds DetectOptions fields (glacier id, extraction settings) to those read here.
    """
    from ..core import io
    from ..core.pipeline import (
        DetectOptions,
        averaging_text,
        scene_metadata,
        scene_warnings,
        segment,
    )

    layer, path, band = scene_inputs(alg, parameters, context)
    model = load_model(device(alg, parameters, context), feedback)
    scene = io.open_scene(path, band)
    feedback.pushInfo(scene_metadata(scene).summary)
    detect_options = DetectOptions(
        band=band,
        clip=clip_geometry(alg, parameters, context, layer.crs()),
        **inference_options(alg, parameters, context),
        **options,
    )
    for warning in scene_warnings(scene, model.info.pixel_size_m, detect_options.resample):
        feedback.pushWarning(warning)
    result = segment(model, scene, detect_options, *progress_callbacks(feedback))
    averaged = averaging_text(scene, result.scene)
    if averaged:
        feedback.pushInfo(averaged)
    for warning in result.warnings:
        feedback.pushWarning(warning)
    feedback.pushInfo(f"Inference took {result.seconds:.1f} s on {model.provider}")
    feedback.pushInfo(result.flow_text.capitalize())
    return layer, scene, model, result, detect_options
