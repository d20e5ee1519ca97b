"""Many scenes × many glaciers into one fronts layer, on local workers or a Dask cluster."""
