"""The shell's arguments and the QGIS parameters agree for every setting of the option table
(``core.detect.options``): the same names, defaults, ranges and choices, and the same values
accepted and refused."""

from __future__ import annotations

import argparse

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingParameterBand,
    QgsProcessingParameterDefinition,
)

from calfin_qgis.core.cli import commands
from calfin_qgis.core.cli.args import detection_options
from calfin_qgis.core.detect.options import EXTRACTION, INFERENCE, OPTIONS, Option
from calfin_qgis.core.detect.segmentation import DetectOptions
from calfin_qgis.processing.parameters import as_option, option_values

pytestmark = pytest.mark.usefixtures("plugin")

ALGORITHMS = ("calfin:detect_fronts", "calfin:detect_fronts_batch")
"""Between them every detection setting (detect_fronts' BAND is a band of its layer)."""


def cli_actions(command: str) -> dict[str, argparse.Action]:
    """The arguments of a subcommand by flag."""
    (sub,) = [a for a in commands._parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return {flag: a for a in sub.choices[command]._actions for flag in a.option_strings}


def qgis_definitions(option: Option) -> list[QgsProcessingParameterDefinition]:
    """The option's parameter in each calfin algorithm that builds it from the table."""
    found = []
    for alg in QgsApplication.processingRegistry().providerById("calfin").algorithms():
        definition = alg.parameterDefinition(option.parameter)
        if definition is not None and not isinstance(definition, QgsProcessingParameterBand):
            found.append(definition)
    return found


def probes(option: Option) -> list:
    """Values at and just beyond the option's limits, its default and its choices."""
    values = [option.default, *option.choices, "sideways"]
    step = 1 if option.kind is int else 0.001
    for limit, outside in ((option.minimum, -step), (option.maximum, step)):
        if limit is not None:
            values += [limit, limit + outside]
    return [v for v in values if v is not None]


def cli_accepts(action: argparse.Action, value) -> bool:
    if action.choices is not None:
        return str(value) in action.choices
    try:
        action.type(str(value))
    except (argparse.ArgumentTypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("option", OPTIONS.values(), ids=lambda o: o.parameter)
def test_shell_and_qgis_agree(option: Option) -> None:
    definitions = qgis_definitions(option)
    assert definitions, f"{option.parameter} is in no calfin algorithm"
    commands_with_it = [c for c in ("detect", "batch") if option.flag in cli_actions(c)]
    assert commands_with_it, f"{option.flag} is in no shell command"
    context = QgsProcessingContext()
    for command in commands_with_it:
        action = cli_actions(command)[option.flag]
        assert action.dest == option.field
        for definition in definitions:
            assert definition.description() == option.label
            advanced = bool(definition.flags() & QgsProcessingParameterDefinition.FlagAdvanced)
            assert advanced == option.advanced, definition.name()
            if option.kind is bool:
                assert action.default is True and definition.defaultValue() is True
                continue
            if option.choices:
                assert definition.options() == list(option.choices)
                assert as_option(definition.defaultValue(), definition.options()) == option.default
            else:
                assert definition.defaultValue() in (option.default, option.default or None)
                assert action.default == option.default
            optional = bool(definition.flags() & QgsProcessingParameterDefinition.FlagOptional)
            for value in probes(option):
                if value == "sideways" and (option.none_value in option.choices or optional):
                    continue  # --flow takes azimuths too; QGIS takes any text as no number
                qgis = definition.checkValueIsAcceptable(value, context)
                assert cli_accepts(action, value) == qgis, (command, option.parameter, value)


def test_defaults_read_back_as_detect_options_defaults() -> None:
    """Nothing given: the shell and QGIS both run with ``DetectOptions()``'s settings."""
    args = commands._parser().parse_args(["detect", "scene.tif", "fronts.gpkg"])
    assert detection_options(args) == DetectOptions()
    alg = QgsApplication.processingRegistry().algorithmById("calfin:detect_fronts")
    read = option_values(alg, {}, QgsProcessingContext(), (*INFERENCE, *EXTRACTION))
    assert read.pop("device") == "auto"
    assert DetectOptions(**read) == DetectOptions()


def test_shell_takes_the_flow_choices_and_azimuths() -> None:
    for given, expected in (("unknown", None), ("up", "up"), ("135", "135")):
        argv = ["batch", "scenes", "--clip", "c.gpkg", "--output", "f.gpkg", "--flow", given]
        assert detection_options(commands._parser().parse_args(argv)).flow == expected
