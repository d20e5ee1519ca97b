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
from ..core.detect.options import INFERENCE, OPTIONS, Option  # constants only: cheap at start-up
from .base import feedback_log, progress_callbacks


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
    indices older models and scripts pass (FLOW=1) are accepted too (``as_option``)."""
    return QgsProcessingParameterEnum(
        name, description, options, defaultValue=default or options[0], usesStaticStrings=True
    )


def as_option(value, options: list[str]) -> str | None:
    """The option ``value`` names: its name in any case, or its index (1, '1', 1.0)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        named = {option.lower(): option for option in options}
        if text.lower() in named:
            return named[text.lower()]
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value < len(options):
        return options[value]
    return None


def option_value(alg, parameters, name: str, context) -> str:
    """The chosen option's name, whether the value was a name, an index or left out."""
    definition = alg.parameterDefinition(name)
    option = as_option(parameters.get(name), definition.options())
    if option:
        return option
    if definition.usesStaticStrings():
        return alg.parameterAsEnumString(parameters, name, context)
    return definition.options()[alg.parameterAsEnum(parameters, name, context)]


def with_option_names(alg, parameters) -> dict:
    """``parameters`` with each enum value, a name or an index, as QGIS's own check expects
    it: the name for ``option_parameter``'s enums, the index for plain ones."""
    named = dict(parameters)
    for definition in _single_enums(alg):
        option = as_option(parameters.get(definition.name()), definition.options())
        if option is not None:
            static = definition.usesStaticStrings()
            named[definition.name()] = option if static else definition.options().index(option)
    return named


def _single_enums(alg) -> list[QgsProcessingParameterEnum]:
    return [
        d
        for d in alg.parameterDefinitions()
        if isinstance(d, QgsProcessingParameterEnum) and not d.allowMultiple()
    ]


def _bound(value: float) -> bool:
    return abs(value) < 1e300  # QGIS's "no limit" is +-DBL_MAX


def allowed_text(definition) -> str | None:
    """What an enum or number parameter takes, with its default, for help and errors."""
    if isinstance(definition, QgsProcessingParameterEnum):
        options = definition.options()
        names = " or ".join(filter(None, (", ".join(options[:-1]), options[-1])))
        default = as_option(definition.defaultValue(), options)
        return f"{names}, or the option's number 0-{len(options) - 1} (default {default})"
    if not isinstance(definition, QgsProcessingParameterNumber):
        return None
    integer = definition.dataType() == QgsProcessingParameterNumber.Integer
    text = "a whole number" if integer else "a number"
    low, high = definition.minimum(), definition.maximum()
    if _bound(low) and _bound(high):
        text += f" from {low:g} to {high:g}"
    elif _bound(low):
        text += f" of at least {low:g}"
    elif _bound(high):
        text += f" of at most {high:g}"
    default = definition.defaultValue()
    return text if default is None else f"{text} (default {float(default):g})"


def value_problem(alg, parameters, context) -> str | None:
    """A message naming the value, what the parameter takes and its default, for the first
    enum or number value QGIS would refuse (its own message says only "Incorrect
    parameter value"), or None."""
    for definition in alg.parameterDefinitions():
        value = parameters.get(definition.name())
        allowed = allowed_text(definition)
        if allowed is None or value is None or value == "":
            continue
        named = isinstance(definition, QgsProcessingParameterEnum) and (
            definition.allowMultiple() or as_option(value, definition.options())
        )
        if named or definition.checkValueIsAcceptable(value, context):
            continue
        try:
            float(value)
            what = "is out of range"
        except (TypeError, ValueError):
            enum = isinstance(definition, QgsProcessingParameterEnum)
            what = "is not one of the options" if enum else "is not a number"
        return f"{definition.name()}={value} {what}: {definition.name()} takes {allowed}."
    return None


def values_help(alg) -> str:
    """The help's list of what to type for each enum and number parameter."""
    lines = [
        f"{definition.name()}: {allowed_text(definition)}"
        for definition in alg.parameterDefinitions()
        if allowed_text(definition)
        and not definition.flags() & QgsProcessingParameterDefinition.FlagHidden
    ]
    if not lines:
        return ""
    return "\n".join(["Values to type (qgis_process, processing.run, the modeler):", *lines])


def option_definition(option: Option) -> QgsProcessingParameterDefinition:
    """The QGIS parameter of a setting of the option table (``core.detect.options``)."""
    if option.choices:
        param = option_parameter(
            option.parameter, option.label, list(option.choices), option.default
        )
    elif option.kind is bool:
        param = QgsProcessingParameterBoolean(option.parameter, option.label, option.default)
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
    if option.advanced:
        param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
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
    """The INFERENCE settings but the device (a ``DetectJob``'s) as ``DetectOptions`` fields."""
    values = option_values(alg, parameters, context, INFERENCE)
    del values["device"]
    return values


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
