"""The report's figures as inline SVG: the error histogram with its axes, and each image's
two fronts over a grey thumbnail of the scene with a scale bar.

Plain SVG needs no plotting package and opens in any browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

REFERENCE_COLOUR = "#33bbee"
DETECTED_COLOUR = "#ee7733"
"""Cyan and orange (Paul Tol's colour-blind safe set), drawn over a dark halo so that both
show on bright ice and on dark ocean."""


def nice_step(span: float, count: int = 5) -> float:
    """A 1, 2 or 5 times a power of ten step that cuts ``span`` into about ``count`` parts."""
    raw = max(span, 1e-12) / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _ticks(top: float, count: int = 5) -> list[float]:
    step = nice_step(top, count)
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:g}" if value < 1e4 else f"{value:.0f}"


def histogram_svg(
    distances: np.ndarray, pixel_m: float | None, width: int = 560, height: int = 260
) -> str:
    """Counts of front pixels by distance to the other line: x in pixels and, when the pixel
    size is known in metres, in metres below; y with tick labels."""
    if distances.size == 0:
        return "<p>No front pixels to plot: no image has a detected front.</p>"
    left, right, top, bottom = 62, 16, 12, 76 if pixel_m else 48
    plot_w, plot_h = width - left - right, height - top - bottom
    x_top = max(1.0, float(np.percentile(distances, 99)))
    x_top = math.ceil(x_top / nice_step(x_top)) * nice_step(x_top)
    counts, _ = np.histogram(np.clip(distances, 0, x_top), bins=30, range=(0, x_top))
    y_ticks = _ticks(float(counts.max()) or 1.0)
    y_top = y_ticks[-1] if y_ticks[-1] >= counts.max() else y_ticks[-1] + y_ticks[1]

    def x_at(value: float) -> float:
        return left + value / x_top * plot_w

    def y_at(value: float) -> float:
        return top + plot_h - value / y_top * plot_h

    bar = plot_w / len(counts)
    parts = [
        f'<rect x="{left + i * bar:.1f}" y="{y_at(c):.1f}" width="{bar - 1:.1f}" '
        f'height="{plot_h - (y_at(c) - top):.1f}" fill="#1f77b4"/>'
        for i, c in enumerate(counts)
    ]
    base = top + plot_h
    parts.append(f'<path d="M{left},{top} V{base} H{left + plot_w}" stroke="#333" fill="none"/>')
    for value in y_ticks + ([y_top] if y_top != y_ticks[-1] else []):
        y = y_at(value)
        parts.append(f'<path d="M{left - 5},{y:.1f} H{left}" stroke="#333"/>')
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_label(value)}</text>'
        )
    for value in _ticks(x_top, 6):
        x = x_at(value)
        parts.append(f'<path d="M{x:.1f},{base} V{base + 5}" stroke="#333"/>')
        parts.append(f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle">{value:g}</text>')
    parts.append(f'<text x="{left - 8}" y="{base + 18}" text-anchor="end">px</text>')
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{base + 34}" text-anchor="middle">'
        f"distance to the other line (the last bar holds all from {x_top:g} px on)</text>"
    )
    if pixel_m:
        for value in _ticks(x_top * pixel_m, 6):
            x = x_at(value / pixel_m)
            parts.append(f'<path d="M{x:.1f},{base + 40} V{base + 45}" stroke="#333"/>')
            parts.append(f'<text x="{x:.1f}" y="{base + 58}" text-anchor="middle">{value:g}</text>')
        parts.append(f'<text x="{left - 8}" y="{base + 58}" text-anchor="end">m</text>')
    parts.append(
        f'<text transform="translate(16,{top + plot_h / 2}) rotate(-90)" '
        'text-anchor="middle">front pixels</text>'
    )
    return (
        f'<svg class="histogram" width="{width}" height="{height}" font-size="12" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def plot_bounds(geometries: Sequence, pixel_size: float) -> tuple[float, float, float, float]:
    """A square window around the lines with a margin: what the thumbnail shows."""
    minx, miny, maxx, maxy = shapely.total_bounds(list(geometries))
    side = max(maxx - minx, maxy - miny) * 1.3 + 20 * pixel_size
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def _scale_bar(map_width: float, size: int, metres_per_unit: float | None) -> str:
    """A bar of a round length, about a quarter of the plot, labelled in m/km (else units)."""
    unit_m = metres_per_unit or 1.0
    length = nice_step(map_width * unit_m / 4, 1)
    pixels = length / unit_m / map_width * size
    if not metres_per_unit:
        text = f"{length:g} px"
    else:
        text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    y = size - 12
    return (
        f'<rect x="6" y="{y - 14}" width="{pixels + 50:.1f}" height="22" fill="white" '
        f'fill-opacity="0.8"/><path d="M10,{y} h{pixels:.1f}" stroke="black" stroke-width="3"/>'
        f'<text x="{14 + pixels:.1f}" y="{y + 4}" font-size="11">{text}</text>'
    )


def front_svg(
    detected: Sequence,
    reference: Sequence,
    bounds: tuple[float, float, float, float],
    thumbnail: str | None,
    metres_per_unit: float | None,
    size: int = 260,
) -> str:
    """Reference and detected lines in ``bounds`` over ``thumbnail`` (a PNG data URI)."""
    minx, miny, maxx, maxy = bounds
    scale = size / (maxx - minx)

    def path(geometry, colour: str) -> str:
        out = []
        for part in shapely.get_parts(geometry):
            xy = shapely.get_coordinates(part)
            points = " ".join(f"{(x - minx) * scale:.1f},{(maxy - y) * scale:.1f}" for x, y in xy)
            for stroke, width in (("#222", 4.5), (colour, 2.5)):
                out.append(
                    f'<polyline points="{points}" fill="none" stroke="{stroke}" '
                    f'stroke-width="{width}" stroke-linejoin="round"/>'
                )
        return "".join(out)

    background = (
        f'<image href="{thumbnail}" x="0" y="0" width="{size}" height="{size}" '
        'preserveAspectRatio="none"/>'
        if thumbnail
        else f'<rect width="{size}" height="{size}" fill="#f4f4f4"/>'
    )
    body = "".join(path(g, REFERENCE_COLOUR) for g in reference)
    body += "".join(path(g, DETECTED_COLOUR) for g in detected)
    return (
        f'<svg class="front" width="{size}" height="{size}" xmlns="http://www.w3.org/2000/svg">'
        f"{background}{body}{_scale_bar(maxx - minx, size, metres_per_unit)}</svg>"
    )
