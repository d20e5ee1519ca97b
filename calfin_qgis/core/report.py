"""A self-contained HTML report of an evaluation: figures, error histogram, front pairs.

Plain inline SVG, so it needs no plotting package and opens in any browser.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence

import numpy as np
import shapely

from .metrics import ImageScore, Summary
from .svg import fmt as _fmt
from .svg import polyline, svg


def histogram_svg(distances: np.ndarray, width: int = 480, height: int = 180) -> str:
    if distances.size == 0:
        return "<p>No front pixels to plot.</p>"
    top = max(1.0, float(np.percentile(distances, 99)))
    counts, edges = np.histogram(np.clip(distances, 0, top), bins=30, range=(0, top))
    bar = width / len(counts)
    peak = counts.max() or 1
    bars = "".join(
        f'<rect x="{i * bar:.1f}" y="{height - 20 - c / peak * (height - 30):.1f}" '
        f'width="{bar - 1:.1f}" height="{c / peak * (height - 30):.1f}" fill="#1f77b4"/>'
        for i, c in enumerate(counts)
    )
    return svg(
        width,
        height,
        f'{bars}<text x="0" y="{height - 4}" font-size="11">0 px</text>'
        f'<text x="{width - 60}" y="{height - 4}" font-size="11">{edges[-1]:.1f} px</text>',
    )


def pair_svg(detected: Sequence, reference: Sequence, size: int = 220) -> str:
    """Reference (black) and detected (red) lines of one image, fitted into a square."""
    geoms = [g for g in list(reference) + list(detected) if g is not None and not g.is_empty]
    if not geoms:
        return ""
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    scale = (size - 10) / max(maxx - minx, maxy - miny, 1e-9)

    def path(geometry, colour: str) -> str:
        return "".join(
            polyline(((5 + (x - minx) * scale, 5 + (maxy - y) * scale) for x, y in xy), colour)
            for xy in map(shapely.get_coordinates, shapely.get_parts(geometry))
        )

    body = "".join(path(g, "black") for g in reference) + "".join(path(g, "red") for g in detected)
    return svg(size, size, body)


def write_report(
    path: str,
    scores: Sequence[ImageScore],
    summary: Summary,
    detected: Mapping[str, Sequence],
    reference: Mapping[str, Sequence],
    pixel_size: str = "",
) -> None:
    """``pixel_size`` says which pixel size the errors are counted in, and why."""
    pixel_note = f"<p>Pixel size: {html.escape(pixel_size, quote=False)}</p>" if pixel_size else ""
    pooled = np.concatenate([s.distances_px for s in scores if s.found] or [np.empty(0)])
    rows = "".join(
        f"<tr><td>{html.escape(s.image_id)}</td><td>{'yes' if s.found else 'NO FRONT'}</td>"
        f"<td>{_fmt(s.mean_px)}</td><td>{_fmt(s.median_px)}</td>"
        f"<td>{_fmt(s.mean_px * s.pixel_size_m if s.pixel_size_m else None)}</td>"
        f"<td>{_fmt(s.line_iou)}</td></tr>"
        for s in scores
    )
    pairs = "".join(
        f"<figure>{pair_svg(detected.get(s.image_id, []), reference.get(s.image_id, []))}"
        f"<figcaption>{html.escape(s.image_id)}: {_fmt(s.mean_px, ' px')}</figcaption></figure>"
        for s in scores
    )
    text = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>CALFIN evaluation</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:right}}
figure{{display:inline-block;margin:4px}}figcaption{{font-size:11px}}</style></head><body>
<h1>Calving front evaluation</h1>
<p>Distance: for every pixel of each line, the distance to the nearest pixel of the other,
pooled both ways over all images (Cheng et al. 2021).</p>
{pixel_note}
<table><tr><th>images</th><th>no front</th><th>mean px</th><th>median px</th>
<th>mean m</th><th>median m</th><th>line IoU</th></tr>
<tr><td>{summary.n_images}</td><td>{summary.n_no_front}</td><td>{_fmt(summary.mean_px)}</td>
<td>{_fmt(summary.median_px)}</td><td>{_fmt(summary.mean_m)}</td>
<td>{_fmt(summary.median_m)}</td><td>{_fmt(summary.line_iou)}</td></tr></table>
<h2>Error histogram</h2>{histogram_svg(pooled)}
<h2>Per image</h2><table><tr><th>image</th><th>front</th><th>mean px</th><th>median px</th>
<th>mean m</th><th>line IoU</th></tr>{rows}</table>
<h2>Fronts (reference black, detected red)</h2>{pairs}</body></html>"""
    tmp = f"{path}.part"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
