"""The evaluation report's figures as inline SVG (``svg`` helpers): the error histogram with
its axes, and each image's two fronts over a grey thumbnail of the scene with a scale bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from ..svg import nice_ticks, polyline, svg, text

REFERENCE_COLOUR = "#33bbee"
DETECTED_COLOUR = "#ee7733"
"""Cyan and orange (Paul Tol's colour-blind safe set), drawn over a dark halo so that both
show on bright ice and on dark ocean."""

AXIS = "#333"


def _tick(x: float, y: float, dx: float, dy: float) -> str:
    return f'<path d="M{x:.1f},{y:.1f} l{dx},{dy}" stroke="{AXIS}"/>'


def histogram_svg(
    distances: np.ndarray, pixel_m: float | None, width: int = 560, height: int = 260
) -> str:
    """Counts of front pixels by distance to the other line: x in pixels and, when the pixel
    size is known in metres, in metres below; y with tick labels."""
    if distances.size == 0:
        return "<p>No front pixels to plot: no image has a detected front.</p>"
    left, right, top, bottom = 62, 16, 12, 76 if pixel_m else 48
    plot_w, plot_h = width - left - right, height - top - bottom
    x_ticks = nice_ticks(0.0, max(1.0, float(np.percentile(distances, 99))), 6)
    x_top = x_ticks[-1]
    counts, _ = np.histogram(np.clip(distances, 0, x_top), bins=30, range=(0, x_top))
    y_ticks = nice_ticks(0.0, float(max(counts.max(), 1)), 5)
    y_top = y_ticks[-1]

    def x_at(value: float) -> float:
        return left + value / x_top * plot_w

    def y_at(value: float) -> float:
        return top + plot_h - value / y_top * plot_h

    bar = plot_w / len(counts)
    base = top + plot_h
    parts = [
        f'<rect x="{left + i * bar:.1f}" y="{y_at(c):.1f}" width="{bar - 1:.1f}" '
        f'height="{base - y_at(c):.1f}" fill="#1f77b4"/>'
        for i, c in enumerate(counts)
    ]
    parts.append(f'<path d="M{left},{top} V{base} H{left + plot_w}" stroke="{AXIS}" fill="none"/>')
    for value in y_ticks:
        parts += [
            _tick(left, y_at(value), -5, 0),
            text(left - 8, y_at(value) + 4, f"{value:g}", 12, "end"),
        ]
    for value in x_ticks:
        parts += [
            _tick(x_at(value), base, 0, 5),
            text(x_at(value), base + 18, f"{value:g}", 12, "middle"),
        ]
    parts.append(text(left - 8, base + 18, "px", 12, "end"))
    parts.append(
        text(
            left + plot_w / 2,
            base + 34,
            f"distance to the other line (the last bar holds all from {x_top:g} px on)",
            12,
            "middle",
        )
    )
    if pixel_m:
        for value in nice_ticks(0.0, x_top * pixel_m, 6):
            if value <= x_top * pixel_m * (1 + 1e-9):
                x = x_at(value / pixel_m)
                parts += [_tick(x, base + 40, 0, 5), text(x, base + 58, f"{value:g}", 12, "middle")]
        parts.append(text(left - 8, base + 58, "m", 12, "end"))
    label = f"translate(16,{top + plot_h / 2}) rotate(-90)"
    parts.append(text(0, 0, "front pixels", 12, "middle", transform=label))
    return svg(width, height, "".join(parts))


def plot_bounds(geometries: Sequence, pixel_size: float) -> tuple[float, float, float, float]:
    """A square window around the lines with a margin: what the thumbnail shows."""
    minx, miny, maxx, maxy = shapely.total_bounds(list(geometries))
    side = max(maxx - minx, maxy - miny) * 1.3 + 20 * pixel_size
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def _scale_bar(map_width: float, size: int, metres_per_unit: float | None) -> str:
    """A bar of a round length, a fifth to half of the plot, labelled in m/km (else px)."""
    unit_m = metres_per_unit or 1.0
    length = nice_ticks(0.0, map_width * unit_m / 5, 1)[1]
    pixels = length / unit_m / map_width * size
    if not metres_per_unit:
        label = f"{length:g} px"
    else:
        label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    y = size - 12
    return (
        f'<rect x="6" y="{y - 14}" width="{pixels + 50:.1f}" height="22" fill="white" '
        f'fill-opacity="0.8"/><path d="M10,{y} h{pixels:.1f}" stroke="black" stroke-width="3"/>'
        + text(14 + pixels, y + 4, label)
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
        for xy in map(shapely.get_coordinates, shapely.get_parts(geometry)):
            points = [((x - minx) * scale, (maxy - y) * scale) for x, y in xy]
            out += [polyline(points, "#222", 4.5), polyline(points, colour, 2.5)]
        return "".join(out)

    background = (
        f'<image href="{thumbnail}" x="0" y="0" width="{size}" height="{size}" '
        'preserveAspectRatio="none"/>'
        if thumbnail
        else f'<rect width="{size}" height="{size}" fill="#f4f4f4"/>'
    )
    body = "".join(path(g, REFERENCE_COLOUR) for g in reference)
    body += "".join(path(g, DETECTED_COLOUR) for g in detected)
    return svg(size, size, background + body + _scale_bar(maxx - minx, size, metres_per_unit))
