"""The CALFIN detection pipeline in plain Python: no qgis, no PyQt imports.

Sub-packages by concern: ``geo`` (rasters, vectors, reprojection, polygons), ``products``
(Landsat/Sentinel-2 products, metadata, bands, naming, scene identity), ``network`` (model,
preprocessing, tiled inference), ``detect`` (segmentation, picking fronts, one job),
``batch`` (many scenes × glaciers, executors), ``terminus`` (change over time),
``evaluation`` (scores and reports) and ``cli``. Progress and cancellation come in as plain
callables so that QGIS, the CLI and tests drive the same code.
"""
