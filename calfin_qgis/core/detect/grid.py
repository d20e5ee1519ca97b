"""The model's grid: scenes much finer than the training pixels are averaged to them, and
the scenes the pipeline cannot average (geographic CRS, rotated grid) get a warning."""

from __future__ import annotations

from .. import contract
from ..geo import rasters


def _rotated(scene: rasters.Scene) -> bool:
    return scene.geotransform[2] != 0 or scene.geotransform[4] != 0


def _finest_edge(scene: rasters.Scene) -> float:
    """The shorter pixel edge in map units (a 40 x 10 m pixel is as fine as 10 m)."""
    return min(scene.pixel_edges)


def model_grid(scene: rasters.Scene, pixel_size_m: float) -> rasters.Scene:
    """The scene averaged to the model's training pixel size when its pixels are much finer.

    The network learnt fronts at 30-50 m; on a 15 m panchromatic band they are two to
    three times wider than anything it saw, and it misses many (see the model card).
    Scenes without a metric CRS, rotated grids (``resolution_warning`` says so) and
    ``calfin:preprocess`` output (already on its grid) are kept as they are.
    """
    if (
        scene.preprocessed
        or not scene.units_are_metres
        or _rotated(scene)
        or _finest_edge(scene) >= contract.FINE_PIXEL_FRACTION * pixel_size_m
    ):
        return scene
    return rasters.resampled(scene, pixel_size_m)


def resolution_warning(scene: rasters.Scene, pixel_size_m: float) -> str | None:
    """What to do when the scene's pixels are not what the network learnt and the pipeline
    cannot average them itself (geographic CRS, rotated grid), or None."""
    if scene.preprocessed or not scene.crs_wkt:
        return None
    warp = f"gdalwarp -t_srs <projected CRS> -tr {pixel_size_m:g} {pixel_size_m:g} -r average"
    if not scene.units_are_metres:
        return (
            "The scene's CRS is not projected in metres: the network learnt fronts on square "
            f"pixels of about {pixel_size_m:g} m, and lengths need metres. Warp the scene first "
            f"({warp} in.tif out.tif, e.g. EPSG:3413 in Greenland)."
        )
    if _rotated(scene) and _finest_edge(scene) < contract.FINE_PIXEL_FRACTION * pixel_size_m:
        return (
            f"The scene's grid is rotated, so its {_finest_edge(scene):g} m pixels are not "
            f"averaged to the network's {pixel_size_m:g} m: warp it north-up first "
            f"({warp} in.tif out.tif)."
        )
    return None


def scene_warnings(scene: rasters.Scene, pixel_size_m: float, resample: bool) -> list[str]:
    """What the user should know about a scene before its long run (CLI and algorithms);
    ``pixel_size_m`` is the model's, ``resample`` whether fine scenes are averaged to it."""
    warnings = [rasters.georeference_warning(scene)]
    if resample:
        warnings.append(resolution_warning(scene, pixel_size_m))
    return [warning for warning in warnings if warning]


def averaging_text(before: rasters.Scene, after: rasters.Scene) -> str | None:
    """A line for the log when the pipeline averaged the scene to the model's grid."""
    if before.geotransform == after.geotransform:
        return None
    return (
        f"Scene pixels averaged from {rasters.pixel_text(before)} to "
        f"{rasters.pixel_text(after)}, the model's training scale; the outputs are on that grid "
        "(RESAMPLE)."
    )
