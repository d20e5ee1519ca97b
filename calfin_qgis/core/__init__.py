"""The CALFIN detection pipeline in plain Python: no qgis, no PyQt imports.

Stages: io (read scenes, write layers), preprocess (the model's input), infer (tiled
onnxruntime), extract (probabilities to front lines), metrics (distance to references).
Progress and cancellation come in as plain callables so that QGIS, the CLI and tests
drive the same code.
"""
