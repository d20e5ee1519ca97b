"""Enum and number parameter values: names or indices read back, what each parameter takes
(for the help and for errors that name the value), checked before QGIS's own check."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
)

CHOICES = "calfin_choices"
"""Parameter metadata: the only values a number parameter takes (``Option.values``)."""


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
    choices = definition.metadata().get(CHOICES)
    if choices:
        *most, last = (str(choice) for choice in choices)
        return f"{', '.join(most)} or {last} (default {float(definition.defaultValue()):g})"
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
        choices = definition.metadata().get(CHOICES)
        if choices and _number(value) not in choices:
            name = definition.name()
            return f"{name}={value} is not one of the values: {name} takes {allowed}."
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


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
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
