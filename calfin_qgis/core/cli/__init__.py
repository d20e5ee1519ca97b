"""The shell command ``calfin`` (``python -m calfin_qgis.core``): detect, batch, terminus."""
