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
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..adapter.fronts import source_references
from ..adapter.layers import raster_path, source_geometry
from ..core.detect.options import INFERENCE, OPTIONS, Option  # constants only: cheap at start-up
from .base import feedback_log, progress_callbacks
from .values import CHOICES, option_value


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


def option_definition(option: Option) -> QgsProcessingParameterDefinition:
    """The QGIS parameter of a setting of the option table (``core.detect.options``)."""
    if option.choices:
        param = option_parameter(
            option.parameter, option.label, list(option.choices), option.default
        )
    elif option.kind is bool:
        param = QgsProcessingParameterBoolean(option.parameter, option.label, option.default)
    elif option.file:
        param = QgsProcessingParameterFile(
            option.parameter, option.label, extension=option.file, optional=True
        )
    elif option.kind is str:
        param = QgsProcessingParameterString(
            option.parameter, option.label, option.default, optional=True
        )
    else:
        number = QgsProcessingParameterNumber
        kind = number.Integer if option.kind is int else number.Double
        limits = {"minValue": option.minimum, "maxValue": option.maximum}
        limits = {name: value for name, value in limits.items() if value is not None}
        optional = option.default is None
        param = number(option.parameter, option.label, kind, option.default, optional, **limits)
    if option.values:
        param.setMetadata({CHOICES: list(option.values)})
    if option.advanced:
        param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    if option.hidden:
        param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagHidden)
    return param


def add_options(alg, options) -> None:
    for option in options:
        alg.addParameter(option_definition(option))


def option_values(alg, parameters, context, options) -> dict:
    """The values of the table ``options`` as ``DetectOptions`` fields hold them."""
    read = {
        int: alg.parameterAsInt,
        float: alg.parameterAsDouble,
        bool: alg.parameterAsBoolean,
        str: alg.parameterAsString,
    }
    values = {}
    for option in options:
        if option.default is None and parameters.get(option.parameter) in (None, ""):
            value = None  # an optional number left empty
        elif option.choices:
            value = option_value(alg, parameters, option.parameter, context)
        else:
            value = read[option.kind](parameters, option.parameter, context)
        values[option.field] = option.field_value(value)
    return values


def add_inference(alg) -> None:
    """Flow direction, device, tiles, mirrored pass and resampling (most advanced)."""
    add_options(alg, INFERENCE)


def add_resample(alg) -> None:
    add_options(alg, [OPTIONS["resample"]])


def add_glacier_id(alg) -> None:
    add_options(alg, [OPTIONS["glacier_id"]])


def add_dated_fronts(alg) -> None:
    """INPUT, a glacier's dated fronts, and the BOX and CENTRELINE that place them
    (terminus_change, screen_fronts)."""
    lines, polygons = [QgsProcessing.TypeVectorLine], [QgsProcessing.TypeVectorPolygon]
    alg.addParameter(QgsProcessingParameterFeatureSource("INPUT", "Dated fronts", lines))
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "BOX", "Boxes (polygons, upstream edge first)", polygons, optional=True
        )
    )
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "CENTRELINE", "Centrelines (drawn upstream → ocean)", lines, optional=True
        )
    )


def add_glacier_field(alg, parent: str = "INPUT") -> None:
    """GLACIER_FIELD, the glacier id field of layer ``parent`` (read by ``glacier_field``)."""
    # Optional so that a missing GLACIER_FIELD means glacier_id (QGIS 3.22 does not fall
    # back to a field parameter's default when it checks the values).
    alg.addParameter(
        QgsProcessingParameterField(
            "GLACIER_FIELD", "Glacier id field", "glacier_id", parent, optional=True
        )
    )


def glacier_field(alg, parameters, context) -> str:
    """GLACIER_FIELD's value, glacier_id when it is left empty."""
    return alg.parameterAsString(parameters, "GLACIER_FIELD", context) or "glacier_id"


def reference_layer(alg, parameters, context, name: str, field: str, kind: str):
    """The box, centreline or polygon layer of parameter ``name`` (None when not given) by
    its ``field`` glacier ids (``adapter.fronts.source_references``)."""
    return source_references(alg.parameterAsSource(parameters, name, context), field, kind)


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
    """The INFERENCE settings but the device and the model (a ``DetectJob``'s) as
    ``DetectOptions`` fields."""
    values = option_values(alg, parameters, context, INFERENCE)
    del values["device"], values["model"]
    return values


def model_path(alg, parameters, context) -> str | None:
    """MODEL: a calfin ONNX file, None for the bundled model."""
    return alg.parameterAsFile(parameters, "MODEL", context) or None


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
        model=model_path(alg, parameters, context),
        device=device(alg, parameters, context),
        extract=extract,
        keep_segmentation=keep_segmentation,
    )
    return layer, run(job, *progress_callbacks(feedback), log=feedback_log(feedback))
