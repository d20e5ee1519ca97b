"""The neural network: the model file, its input preprocessing and tiled inference."""
