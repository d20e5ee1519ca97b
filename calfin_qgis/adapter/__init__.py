"""What both the Processing provider and the dock need of QGIS.

Layers <-> core values, and finding the scene of a front.
"""
