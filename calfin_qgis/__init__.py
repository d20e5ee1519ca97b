"""QGIS plugin entry point: QGIS calls classFactory with its interface object."""


def classFactory(iface):  # noqa: N802 - name fixed by QGIS
    """Return the plugin instance; imports stay inside so that QGIS loads us lazily."""
    from .plugin import CalfinPlugin

    return CalfinPlugin(iface)
