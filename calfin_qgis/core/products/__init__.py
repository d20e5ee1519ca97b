"""What a scene is: products as downloaded, their metadata files, bands, names and identity."""
