"""A self-contained HTML report of an evaluation that a reader can trust: what was compared
(inputs, model, pixel size and where it came from, date), the pooled figures, the error
histogram, the breakdown by glacier, sensor, season and Landsat 7 SLC state (as in CALFIN's
error analysis), a per-image table worst first, and each image's fronts over its scene.
"""

from __future__ import annotations

import configparser
import datetime
import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..geo import rasters
from ..svg import fmt
from .breakdown import GROUP_KEYS, breakdown, groups_of
from .metrics import ImageScore, Summary
from .plots import DETECTED_COLOUR, REFERENCE_COLOUR, front_svg, histogram_svg, plot_bounds
from .thumbnail import thumbnail

IMAGE_COLUMNS = ("image", "glacier", "sensor", "season", "front", "mean px", "median px")
IMAGE_COLUMNS += ("mean m", "line IoU", "front pixels")
GROUP_TITLES = {
    "glacier": "Glacier",
    "sensor": "Sensor",
    "season": "Season",
    "slc": "Landsat 7 SLC",
}

SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable th").forEach((th, i) => th.addEventListener("click",
  () => {
    const body = th.closest("table").tBodies[0], up = th.dataset.up !== "1";
    th.dataset.up = up ? "1" : "0";
    const key = r => { const v = r.cells[i].dataset.v ?? r.cells[i].textContent;
                       return v === "" || isNaN(v) ? v : +v; };
    [...body.rows].sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (up ? 1 : -1))
      .forEach(r => body.appendChild(r));
  }));
</script>"""

STYLE = """body{font-family:sans-serif;margin:2em;max-width:72em}
td,th{padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
table.about td{text-align:left}table.sortable th{cursor:pointer;text-decoration:underline dotted}
tr:nth-child(even){background:#f4f4f4}figure{display:inline-block;margin:4px;vertical-align:top}
figcaption{font-size:11px;max-width:260px;overflow-wrap:anywhere}
.breakdown table{display:inline-table;margin:0 2em 1em 0;vertical-align:top}
.key{display:inline-block;width:2em;height:4px;vertical-align:middle;border:1px solid #222}"""


def plugin_version() -> str:
    """This plugin's version from its metadata.txt ('' if unreadable)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(Path(__file__).resolve().parents[2] / "metadata.txt", encoding="utf-8")
    return parser.get("general", "version", fallback="")


@dataclass(frozen=True)
class RunInfo:
    """What was compared, shown at the top of the report."""

    detected: str
    """The detected fronts: layer name and file."""
    reference: str
    id_fields: str
    models: tuple[str, ...]
    """The detected fronts' ``source`` values: the model (and version) that found them."""
    pixel_size: float
    pixel_source: str
    """Where the pixel size came from (a parameter, a scene...)."""
    crs: str
    metres_per_unit: float | None
    """Metres per map unit of the CRS; None for pixel coordinates (no CRS)."""
    scenes: str = ""
    """Where scenes for the thumbnails were looked for."""
    created: str = field(
        default_factory=lambda: datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    )


def _metres(value: float, pixel_m: float | None) -> float | None:
    return value * pixel_m if pixel_m else None


def _about(info: RunInfo, n_thumbnails: int, n_images: int) -> str:
    unit = "m" if info.metres_per_unit == 1.0 else "map units" if info.metres_per_unit else "px"
    rows = [
        ("Detected fronts", info.detected),
        ("Reference fronts", info.reference),
        ("Paired by", info.id_fields),
        ("Model", ", ".join(info.models) or "not recorded (no source field)"),
        ("Pixel size", f"{info.pixel_size:g} {unit} ({info.pixel_source})"),
        ("CRS", info.crs or "none (pixel coordinates)"),
        ("Scenes", f"{info.scenes or 'none given'}: {n_thumbnails} of {n_images} found"),
        ("Run", f"{info.created}, calfin_qgis {plugin_version()}"),
    ]
    cells = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="about">{cells}</table>'


def _summary_rows(summary: Summary) -> str:
    return (
        f"<td>{summary.n_images}</td><td>{summary.n_no_front}</td><td>{fmt(summary.mean_px)}"
        f"</td><td>{fmt(summary.median_px)}</td><td>{fmt(summary.mean_m)}</td>"
        f"<td>{fmt(summary.median_m)}</td>"
    )


SUMMARY_HEAD = (
    "<th>images</th><th>no front</th><th>mean px</th><th>median px</th><th>mean m</th>"
    "<th>median m</th>"
)


def _breakdown(scores: Sequence[ImageScore]) -> str:
    tables = []
    groups = breakdown(scores)
    for key in GROUP_KEYS:
        rows = "".join(
            f"<tr><td>{html.escape(g.value)}</td>{_summary_rows(g.summary)}</tr>"
            for g in groups
            if g.key == key
        )
        if rows:
            tables.append(
                f"<table><caption>{GROUP_TITLES[key]}</caption><tr><th></th>{SUMMARY_HEAD}</tr>"
                f"{rows}</table>"
            )
    if not tables:
        return "<p>The image ids name no known glacier, sensor or date.</p>"
    return f'<div class="breakdown">{"".join(tables)}</div>'


def worst_first(scores: Sequence[ImageScore]) -> list[ImageScore]:
    """No-front images first, then by mean distance, largest first."""
    return sorted(scores, key=lambda s: (s.found, -s.mean_px if s.found else 0.0, s.image_id))


def _image_rows(scores: Sequence[ImageScore]) -> str:
    rows = []
    for s in scores:
        g = groups_of(s.image_id)
        mean = s.mean_px if s.found else math.inf
        rows.append(
            f"<tr><td>{html.escape(s.image_id)}</td><td>{html.escape(g.glacier)}</td>"
            f"<td>{g.sensor}</td><td>{g.season}</td><td>{'yes' if s.found else 'NO FRONT'}</td>"
            f'<td data-v="{mean}">{fmt(s.mean_px)}</td><td>{fmt(s.median_px)}</td>'
            f"<td>{fmt(_metres(s.mean_px, s.pixel_size_m))}</td>"
            f"<td>{fmt(s.line_iou)}</td><td>{s.n_pixels}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in IMAGE_COLUMNS)
    body = "".join(rows)
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def write_report(
    path: str,
    scores: Sequence[ImageScore],
    summary: Summary,
    detected: Mapping[str, Sequence],
    reference: Mapping[str, Sequence],
    info: RunInfo,
    find_scene: Callable[[str], str | Path | None] = lambda image_id: None,
    crs_wkt: str = "",
    notes: Sequence[str] = (),
    series: str = "",
) -> None:
    """Write the report to ``path`` (atomically; an existing file is replaced, as the
    caller's file dialog asked). ``find_scene`` gives an image id's scene raster (for the
    thumbnails under its fronts) or None. ``series``: the section comparing a series with a
    database (``series.series_html``)."""
    ordered = worst_first(scores)
    figures, found = _figures(ordered, detected, reference, info, find_scene, crs_wkt)
    pooled = np.concatenate([s.distances_px for s in scores if s.found] or [np.empty(0)])
    pixel_m = info.pixel_size * info.metres_per_unit if info.metres_per_unit else None
    note_list = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    key = '<span class="key" style="background:{}"></span>'
    text = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>CALFIN evaluation</title><style>{STYLE}</style></head><body>
<h1>Calving front evaluation</h1>{_about(info, found, len(scores))}
{f"<ul>{note_list}</ul>" if note_list else ""}
<h2>Pooled figures</h2>
<p>Distance: for every pixel of each line, the distance to the nearest pixel of the other,
pooled both ways over all images with a detected front (Cheng et al. 2021); line IoU with a
3 px tolerance; mask IoU of the ice masks where a glacier polygon closes the fronts.</p>
<table><tr>{SUMMARY_HEAD}<th>line IoU</th><th>mask IoU</th></tr>
<tr>{_summary_rows(summary)}<td>{fmt(summary.line_iou)}</td><td>{fmt(summary.mask_iou)}</td>
</tr></table>{series}
<h2>Error histogram</h2>{histogram_svg(pooled, pixel_m)}
<h2>Errors by glacier, sensor, season and SLC state</h2>
<p>From the image ids; Landsat 7 scenes after 31 May 2003 are SLC-off (striped).</p>
{_breakdown(scores)}
<h2>Per image, worst first</h2><p>Click a column to sort by it.</p>{_image_rows(ordered)}
<h2>Fronts, worst first</h2>
<p>{key.format(REFERENCE_COLOUR)} reference {key.format(DETECTED_COLOUR)} detected, over band 1
of the scene where it was found.</p>
{figures}{SORT_SCRIPT}</body></html>"""
    with rasters.atomic_output(path, overwrite=True) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def _figures(
    ordered: Sequence[ImageScore],
    detected: Mapping[str, Sequence],
    reference: Mapping[str, Sequence],
    info: RunInfo,
    find_scene: Callable[[str], str | Path | None],
    crs_wkt: str,
) -> tuple[str, int]:
    """Each image's front pair, over a thumbnail of its scene where ``find_scene`` finds
    it, as HTML figures; and how many scenes were found."""
    figures, found = [], 0
    for s in ordered:
        lines = [*reference.get(s.image_id, []), *detected.get(s.image_id, [])]
        lines = [g for g in lines if g is not None and not g.is_empty]
        bounds = plot_bounds(lines, info.pixel_size)
        scene = find_scene(s.image_id)
        picture = thumbnail(scene, bounds, crs_wkt) if scene else None
        found += picture is not None
        svg = front_svg(
            detected.get(s.image_id, []),
            reference.get(s.image_id, []),
            bounds,
            picture,
            info.metres_per_unit,
        )
        caption = f"{html.escape(s.image_id)}: " + (
            f"mean {fmt(s.mean_px)} px" if s.found else "no front detected"
        )
        figures.append(f"<figure>{svg}<figcaption>{caption}</figcaption></figure>")
    return "".join(figures), found
