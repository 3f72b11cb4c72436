"""The district map (区域地图): the county outline with one marker per township, shaded by an indicator;
a township drills down to its villages (a bar chart: there are no village boundaries), a village shows
its own figures. `map_figures` computes, `map_outline` draws; the page's script fetches `map_data`.
"""

from dataclasses import asdict

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from zhenxing.areas.models import Level
from zhenxing.reports.dashboards import map_outline
from zhenxing.reports.dashboards.map_figures import (
    DEFAULT_INDICATOR,
    INDICATORS,
    MapFigures,
    focus_area,
    map_figures,
    map_url,
)


def _request_figures(request) -> tuple[MapFigures, str]:
    focus = focus_area(request.user, request.GET.get("area"))
    indicator = request.GET.get("indicator", "")
    if indicator not in INDICATORS:
        indicator = DEFAULT_INDICATOR
    return map_figures(request.user, focus, indicator, timezone.localdate()), indicator


def _outline(figures: MapFigures) -> map_outline.Outline | None:
    """The county outline, drawn only when the map is opened at the county."""
    if figures.focus.level != Level.COUNTY:
        return None
    return map_outline.county_outline(figures.focus.code, figures.focus.name)


def _with_tiles(response, layer):
    policy = map_outline.content_security_policy(layer)
    if policy:
        response["Content-Security-Policy"] = policy
    return response


@login_required
def district_map(request):
    figures, indicator = _request_figures(request)
    outline = _outline(figures)
    layer = map_outline.tiles() if outline else None
    focus = figures.focus
    trail = [a for a in focus.ancestors() if a.code.startswith(request.user.area.code)]
    context = {
        "figures": figures,
        "indicator": INDICATORS[indicator],
        "indicators": [(i, map_url(focus.code, i.key)) for i in INDICATORS.values()],
        "trail": [(a, map_url(a.code, indicator)) for a in trail],
        "outline": outline,
        "tiles": layer,
        "data_url": map_url(focus.code, indicator, "reports:map_data"),
    }
    return _with_tiles(render(request, "reports/map.html", context), layer)


@login_required
def district_map_data(request):
    """The page's data: the rows with the chosen figure, their markers' places and the outline."""
    figures, indicator = _request_figures(request)
    outline = _outline(figures)
    layer = map_outline.tiles() if outline else None
    places = (
        map_outline.schematic_positions(figures.focus.code, figures.focus.name, len(figures.rows))
        if outline
        else []
    )
    chosen = INDICATORS[indicator]
    rows = []
    for i, row in enumerate(figures.rows):
        figure = row.figures[indicator]
        rows.append(
            {
                "code": row.code,
                "name": row.name,
                "value": None if figure.value is None else float(figure.value),
                "text": figure.text,
                "detail": figure.detail,
                "url": figure.url,
                "drill_url": row.drill_url,
                "position": list(places[i]) if places else None,
            }
        )
    data = {
        "area": {"code": figures.focus.code, "name": figures.focus.name, "level": figures.focus.level},
        "indicator": asdict(chosen),
        "row_label": figures.child_label,
        "rows": rows,
        "outline": outline.geojson if outline else None,
        "source": outline.source if outline else "",
        "tile_url": layer.url if layer else "",
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
