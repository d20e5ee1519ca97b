"""The shell commands (``python -m calfin_qgis.core``): detect, batch, terminus."""
