"""From a scene to front lines: segmentation, picking, sanity checks and one detection job."""
