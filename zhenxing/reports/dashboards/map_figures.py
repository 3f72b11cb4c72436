"""The district map's figures: three indicators per child area of the area the map is opened at.

- 监测户数 (`monitored`): the households that are 监测对象 today — monitored or in the elimination procedure,
  exactly as the 统计看板 counts them (`cases.queries.monitored_on`) — in each area;
- 逾期预警 (`overdue_warnings`): screening warnings not closed whose verification deadline (`due`) has
  passed — the warning list's own "只看逾期未办结" rule;
- 资金拨付进度 (`disbursement`): this year's disbursements up to today over this year's plan items of the
  projects located in each area (`funds.checks.percent`: rounded down to 0.01%; none without a plan).

Every figure is one aggregate query grouped by the area-code prefix of the child level (the plan and
the payments are two tables, so the progress takes two), read through `scoped()`, whatever the number of
records; each figure links to the list it counts, filtered as far as that list's filters go.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require, scoped, under
from zhenxing.areas.models import CHILD_LEVEL, CODE_LENGTH, Area, Level
from zhenxing.cases.models import Case
from zhenxing.cases.queries import monitored_on
from zhenxing.funds.checks import percent
from zhenxing.funds.models import Disbursement, PlanItem
from zhenxing.screening.models import Warning, WarningStatus


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    unit: str
    colours: tuple[str, ...]  # the choropleth's scale, low → high


INDICATORS = {
    i.key: i
    for i in (
        Indicator("monitored", "监测户数", "户", ("#e3f2fd", "#1565c0")),
        Indicator("overdue_warnings", "逾期预警", "条", ("#fff3e0", "#c62828")),
        Indicator("disbursement", "资金拨付进度", "%", ("#c62828", "#f9a825", "#2e7d32")),
    )
}
DEFAULT_INDICATOR = "monitored"
ROW_LABEL = {Level.TOWNSHIP: "乡镇（街道）", Level.VILLAGE: "村（社区）"}


@dataclass(frozen=True)
class Figure:
    value: int | Decimal | None  # None: nothing to divide by (no plan this year)
    text: str  # e.g. "3户", "45.50%", "无计划"
    url: str  # the list of what is counted
    detail: str = ""  # e.g. "已拨付 100.00 元 / 计划 200.00 元"


@dataclass(frozen=True)
class MapRow:
    code: str
    name: str
    drill_url: str | None  # the map opened at this area (None for a township's own projects row)
    figures: dict[str, Figure]


@dataclass(frozen=True)
class MapFigures:
    focus: Area
    child_label: str  # what a row is: 乡镇（街道） or 村（社区）
    rows: list[MapRow]
    totals: MapRow
    year: int
    today: datetime.date


def map_url(code: str, indicator: str, name: str = "reports:map") -> str:
    """The map (or with `name="reports:map_data"` its data) opened at `code`, shaded by `indicator`."""
    return reverse(name) + "?" + urlencode({"area": code, "indicator": indicator})


def focus_area(user, code: str | None) -> Area:
    """The area the map opens at: the user's own by default; 404 outside the scope or below a village."""
    require(user, Capability.VIEW_REPORTS)
    area = get_in_scope(
        Area.objects.select_related("parent"), user, area_field="", code=code or user.area.code
    )
    if area.level not in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        raise Http404("地图只到村（社区）一级")
    return area


def _grouped(queryset, field: str, length: int, **aggregates) -> dict[str, dict]:
    rows = queryset.annotate(key=Substr(field, 1, length)).values("key").annotate(**aggregates).order_by()
    return {row["key"]: row for row in rows}


def _link(name: str, code: str | None, **params) -> str:
    """The list `name` filtered to the area `code` (a township, a village, or None for everything)."""
    if code and len(code) >= CODE_LENGTH[Level.TOWNSHIP]:
        params["township"] = code[: CODE_LENGTH[Level.TOWNSHIP]]
    if code and len(code) == CODE_LENGTH[Level.VILLAGE]:
        params["village"] = code
    return reverse(name) + "?" + urlencode(params)


def _figures(code: str | None, values: dict, year: int, today: datetime.date) -> dict[str, Figure]:
    """The figures of one row; `code` is the area the links filter to (None: the whole district)."""
    monitored, overdue = values["monitored"], values["overdue"]
    planned, paid = (Decimal(values[k] or 0).quantize(Decimal("0.01")) for k in ("planned", "paid"))
    share = percent(paid, planned)
    return {
        "monitored": Figure(
            monitored, f"{monitored}户", _link("cases:case_list", code, monitored_on=today.isoformat())
        ),
        "overdue_warnings": Figure(
            overdue, f"{overdue}条", _link("screening:warning_list", code, overdue="1")
        ),
        "disbursement": Figure(
            share,
            "无计划" if share is None else f"{share}%",
            # The progress table by project, narrowed by its township / village filters.
            _link("funds:progress", code, year=str(year), group="project"),
            f"已拨付 {paid} 元 / 计划 {planned} 元",
        ),
    }


def _values(counts: dict, key: str | None) -> dict:
    """The four sums of one row (`key` None: of every row)."""
    fields = {"monitored": "n", "overdue": "n", "planned": "amount", "paid": "amount"}
    if key is None:
        return {t: sum((row[f] or 0 for row in counts[t].values()), 0) for t, f in fields.items()}
    return {t: counts[t].get(key, {}).get(f) or 0 for t, f in fields.items()}


def map_figures(user, focus: Area, indicator: str, today: datetime.date) -> MapFigures:
    """The three figures for each child of `focus` (the village itself when `focus` is a village)."""
    level = CHILD_LEVEL[focus.level] if focus.level != Level.VILLAGE else Level.VILLAGE
    length = CODE_LENGTH[level]
    year = today.year

    def here(queryset, field="area"):  # in the user's scope and under the focus area
        return under(scoped(queryset, user, field), focus, field)

    counts = {
        "monitored": _grouped(
            monitored_on(here(Case.objects.all()), today),
            "area__code",
            length,
            n=Count("pk"),
        ),
        "overdue": _grouped(
            here(Warning.objects.filter(due__lt=today).exclude(status=WarningStatus.CLOSED)),
            "area__code",
            length,
            n=Count("pk"),
        ),
        "planned": _grouped(
            here(PlanItem.objects.filter(year=year), "project__area"),
            "project__area__code",
            length,
            amount=Sum("amount"),
        ),
        "paid": _grouped(
            here(Disbursement.objects.filter(year=year, paid_on__lte=today), "project__area"),
            "project__area__code",
            length,
            amount=Sum("amount"),
        ),
    }
    keys = {key for table in counts.values() for key in table}
    if focus.level == Level.VILLAGE:
        areas = [focus]
    else:
        children = Area.objects.filter(Q(parent=focus, is_active=True) | Q(code__in=keys), level=level)
        areas = list(children.filter(code__startswith=focus.code).order_by("code"))
    rows = [
        MapRow(
            a.code,
            a.name,
            map_url(a.code, indicator) if a.code != focus.code else None,
            _figures(a.code, _values(counts, a.code), year, today),
        )
        for a in areas
    ]
    if focus.code in keys and focus.level != Level.VILLAGE:
        # Projects placed at the township (or county) itself belong to no child: their own row.
        own = _figures(focus.code, _values(counts, focus.code), year, today)
        rows.append(MapRow(focus.code, f"{focus.name}本级", None, own))
    everything = _figures(focus.code if focus.parent_id else None, _values(counts, None), year, today)
    totals = MapRow("", "合计", None, everything)
    return MapFigures(
        focus=focus,
        child_label=ROW_LABEL[level],
        rows=rows,
        totals=totals,
        year=year,
        today=today,
    )
