"""Exceptions the pipeline raises for its callers (QGIS, CLI) to turn into messages."""


class InputError(ValueError):
    """Bad user input; the message names the problem and the fix."""


class Cancelled(RuntimeError):
    """The user cancelled; outputs in progress were removed."""
