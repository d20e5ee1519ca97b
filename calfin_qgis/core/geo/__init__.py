"""Where pixels are: raster scenes and outputs, vector layers, reprojection, search polygons."""
