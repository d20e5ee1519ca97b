"""The calfin Processing provider and its algorithms (thin wrappers over calfin_qgis.core)."""
