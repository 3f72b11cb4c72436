"""The dashboards' figures (统计看板): plain dicts and lists, every number with the URL of the list it counts.

Each section function takes a `Frame` (who looks, at which area, as of which day) and returns a dict the
templates and charts read. Every figure is a few grouped aggregate queries over the frame's area — never a
loop over households, never a query per row — so the district's figures cost the same few queries at
1,000 households or 1,000,000. Rows are the next level down: townships for the district, villages for a
township (a village shows itself).

How each figure treats the as-of date D is stated in `docs/reports.md` ("Dashboards"); in short: monitoring,
income, warnings, measures and employment are reconstructed for D from dated facts; the risk colour and
the 督办 overdue counts are today's (they depend on deadlines as they stand now); funds use D's year.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import Count, F, FloatField, Func, IntegerField, Max, Q, Sum, Value, When
from django.urls import reverse

from zhenxing.accounts.scope import scoped, under
from zhenxing.areas.models import CODE_LENGTH, Area, Level
from zhenxing.cases import queries as cases
from zhenxing.cases.models import (
    CARRIED_OUT,
    Case,
    CaseEvent,
    Measure,
    MeasureCategory,
    MonitoringType,
    RiskType,
)
from zhenxing.funds import checks
from zhenxing.funds.models import Category, FundSource, PlanItem, Progress, Project, ProjectStatus
from zhenxing.policy.resolve import policy_for
from zhenxing.registry import queries as registry
from zhenxing.registry.models import Household, HouseholdKind, IncomeBand, IncomeYear, Membership
from zhenxing.screening.models import FeedKind, Warning
from zhenxing.screening.views.warnings import INCOME_LABEL, INCOME_SOURCE, overdue_on

MONTHS = 12  # the monthly series: the 12 calendar months ending with the as-of month
COLOURS = (("red", "红色"), ("yellow", "黄色"), ("green", "绿色"))


@dataclass(frozen=True)
class Frame:
    """What a dashboard shows: `area` (the user's area or one inside it) as of `as_of`; `today` for the
    figures that only exist now (risk colour, 督办)."""

    user: object
    area: Area
    as_of: datetime.date
    today: datetime.date

    @property
    def row_length(self) -> int:
        return CODE_LENGTH[Level.TOWNSHIP] if self.area.level == Level.COUNTY else CODE_LENGTH[Level.VILLAGE]

    @property
    def area_params(self) -> dict:
        """The list filter naming the frame's area (none for the county: the lists show the user's scope)."""
        return area_params(self.area)


def area_params(area: Area) -> dict:
    if area.level == Level.COUNTY:
        return {}
    return {"township" if area.level == Level.TOWNSHIP else "village": area.code}


def url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return reverse(name) + (f"?{query}" if query else "")


def within(queryset, frame: Frame, field: str = "area"):
    """The rows of the user's scope (`scoped`) under the frame's area."""
    return under(scoped(queryset, frame.user, field), frame.area, field)


def row_areas(frame: Frame, codes=()) -> list[Area]:
    """The rows: the frame's active child areas and any other child with figures; a village is its own row."""
    if frame.area.level == Level.VILLAGE:
        return [frame.area]
    areas = Area.objects.filter(Q(parent=frame.area, is_active=True) | Q(code__in=set(codes)))
    return list(areas.filter(code__startswith=frame.area.code, level=_child_level(frame)).order_by("code"))


def _child_level(frame: Frame) -> str:
    return Level.TOWNSHIP if frame.area.level == Level.COUNTY else Level.VILLAGE


def _by_row(items, frame: Frame, key: str, *values: str) -> dict[str, dict[str, int]]:
    """Grouped query rows (keyed by a village code) summed per row area (the code's first row_length chars)."""
    totals: dict[str, dict[str, int]] = {}
    for item in items:
        code = (item[key] or "")[: frame.row_length]
        row = totals.setdefault(code, dict.fromkeys(values, 0))
        for name in values:
            row[name] += item.get(name) or 0
    return totals


def percent(part, whole) -> Decimal | None:
    """part/whole in percent to one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def fig(label: str, value, link: str | None = None, **extra) -> dict:
    return {"label": label, "value": value, "url": link, **extra}


# —— 监测: monitored households, monthly flows, elimination, relapse, colour, income ——————————————————


def _month_starts(day: datetime.date) -> list[datetime.date]:
    first = day.replace(day=1)
    months = []
    for _ in range(MONTHS):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def _month_end(start: datetime.date, cap: datetime.date) -> datetime.date:
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return min(following - datetime.timedelta(days=1), cap)


def monitoring(frame: Frame) -> dict:
    """监测对象 on D by row, type and main risk; monthly new and eliminated; the share eliminated; relapses
    (the risk colour and the income distribution are `households`)."""
    day, params = frame.as_of, frame.area_params
    all_cases = within(Case.objects.all(), frame)
    monitored = cases.monitored_on(all_cases, day)
    # One row per (village, type, main risk): households and today's members (each case keeps its
    # household's count of current members: `Case.household_members`), and for an earlier day the members
    # who joined since (to take off) or left since (to add back) — `_members_changed_since`, read from the
    # few changed memberships.
    grouped = list(
        monitored.values("area__code", "monitoring_type", "main_risk")
        .annotate(households=Count("pk"), members=Sum("household_members"))
        .order_by()
    )
    if not cases.is_today(day):
        grouped += _members_changed_since(monitored, day)
    risks: dict[str, int] = {}
    by_type: dict[str, dict[str, int]] = {t: {"households": 0, "members": 0} for t in MonitoringType.values}
    rows_items = []
    for item in grouped:
        households = item.get("households", 0)
        counts = by_type.setdefault(item["monitoring_type"], {"households": 0, "members": 0})
        counts["households"] += households
        counts["members"] += item["members"] or 0
        if households:
            risks[item["main_risk"]] = risks.get(item["main_risk"], 0) + households
        rows_items.append({**item, "households": households, f"t_{item['monitoring_type']}": households})
    type_keys = [f"t_{t}" for t in MonitoringType.values]
    per_row = _by_row(rows_items, frame, "area__code", "households", "members", *type_keys)
    eliminated_rows = _by_row(
        cases.eliminated_on(all_cases, day).values("area__code").annotate(n=Count("pk")).order_by(),
        frame,
        "area__code",
        "n",
    )
    on = day.isoformat()
    households = sum(c["households"] for c in by_type.values())
    members = sum(c["members"] for c in by_type.values())
    eliminated = sum(r["n"] for r in eliminated_rows.values())
    monitored_url = url("cases:case_list", monitored_on=on, **params)
    eliminated_url = url("cases:case_list", eliminated_on=on, **params)
    rows = []
    for area in row_areas(frame, set(per_row) | set(eliminated_rows)):
        r = per_row.get(area.code, {})
        gone = eliminated_rows.get(area.code, {}).get("n", 0)
        here = area_params(area)
        rows.append(
            {
                "area": area,
                "drill": area.code != frame.area.code,
                "households": fig(
                    "监测户", r.get("households", 0), url("cases:case_list", monitored_on=on, **here)
                ),
                "members": r.get("members", 0),
                "types": [
                    fig(
                        t.label,
                        r.get(f"t_{t.value}", 0),
                        url("cases:case_list", monitored_on=on, monitoring_type=t.value, **here),
                    )
                    for t in MonitoringType
                ],
                "eliminated": fig("风险已消除", gone, url("cases:case_list", eliminated_on=on, **here)),
                "share": percent(gone, r.get("households", 0) + gone),
            }
        )
    return {
        "households": fig("监测户", households, monitored_url),
        "members": fig("监测人口", members, monitored_url, households=households),
        "types": [
            fig(
                t.label,
                by_type[t.value]["households"],
                url("cases:case_list", monitored_on=on, monitoring_type=t.value, **params),
                members=by_type[t.value]["members"],
            )
            for t in MonitoringType
        ],
        "risks": [
            fig(
                r.label,
                risks.get(r.value, 0),
                url("cases:case_list", monitored_on=on, main_risk=r.value, **params),
            )
            for r in RiskType
            if risks.get(r.value)
        ],
        "eliminated": fig("风险已消除户", eliminated, eliminated_url),
        "share": percent(eliminated, households + eliminated),
        "relapses": _relapses(all_cases, frame),
        "months": _months(all_cases, frame),
        "rows": rows,
    }


def _members_changed_since(monitored, day: datetime.date) -> list[dict]:
    """Per (village, type, main risk) of the cases monitored on `day`: minus the members who joined their
    household after `day` and are still in it, plus those who were in it on `day` and left after — so that,
    added to today's member counts, the members on `day` (memberships with start ≤ day < end). Driven from
    the memberships that changed after `day` (`membership_start_idx`, `membership_end_idx`): a few at
    district scale, where joining every monitored household's memberships took most of a second."""
    changed = Membership.objects.filter(
        Q(start_date__gt=day, end_date__isnull=True) | Q(end_date__gt=day, start_date__lte=day)
    ).values("household_id")
    member = "household__memberships"
    joined = Q(**{f"{member}__start_date__gt": day, f"{member}__end_date__isnull": True})
    left = Q(**{f"{member}__end_date__gt": day, f"{member}__start_date__lte": day})
    return [
        {**item, "members": item["left"] - item["joined"]}
        for item in monitored.filter(household_id__in=changed)
        .values("area__code", "monitoring_type", "main_risk")
        .annotate(joined=Count(member, filter=joined), left=Count(member, filter=left))
        .order_by()
    ]


def households(frame: Frame) -> dict:
    """The registry-wide figures (every active household of the area is read): the risk colour today and
    the income distribution against the line. Their own section, so that the monitoring section reads only
    the cases.

    One pass over the area's active households, grouped by village and kind, counts both: the colour from
    the household's colour columns (`registry.colour_q`) and the band from its latest income
    (`Household.income_year`, `.income_per_capita`). When incomes of a later year than the distribution's
    exist (an as-of date in an earlier year), the band is read from that year's incomes instead (each keeps
    its household's kind, village and activity)."""
    today = frame.today
    year = income_year(frame)
    counts = {
        "total": Count("pk"),
        "red": Count("pk", filter=registry.colour_q("red", today)),
        "yellow": Count("pk", filter=registry.colour_q("yellow", today)),
    }
    latest = year is not None and not IncomeYear.objects.filter(year__gt=year).exists()
    if latest:
        line = policy_for(year)["monitoring_line"]
        bands = _bands(line, "income_per_capita", Q(income_year=year))
        counts |= {band: Count("pk", filter=q) for band, q in bands.items()}
    grouped = list(
        within(Household.objects.filter(is_active=True), frame)
        .values("area_id", "kind")
        .annotate(**counts)
        .order_by()
    )
    codes = dict(Area.objects.filter(code__startswith=frame.area.code).values_list("pk", "code"))
    for g in grouped:
        g["code"] = codes[g["area_id"]]
    return {
        "colours": _colours(frame, grouped),
        "income": _income(frame, year, grouped if latest else _income_of_year(frame, year)),
    }


def _bands(line: Decimal, per_capita: str, base: Q) -> dict[str, Q]:
    near = line * registry.NEAR_MULTIPLE
    return {
        IncomeBand.BELOW: base & Q(**{f"{per_capita}__lt": line}),
        IncomeBand.NEAR: base & Q(**{f"{per_capita}__gte": line, f"{per_capita}__lt": near}),
        IncomeBand.ABOVE: base & Q(**{f"{per_capita}__gte": near}),
    }


def _relapses(all_cases, frame: Frame) -> dict:
    day, params = frame.as_of, frame.area_params
    start = day.replace(month=1, day=1)
    relapses = all_cases.filter(is_relapse=True, announced_on__lte=day).aggregate(
        total=Count("pk"), year=Count("pk", filter=Q(announced_on__gte=start))
    )
    return {
        "total": fig(
            "累计返贫",
            relapses["total"],
            url("cases:case_list", relapse="1", announced_to=day.isoformat(), **params),
        ),
        "year": fig(
            f"{day.year}年返贫",
            relapses["year"],
            url(
                "cases:case_list",
                relapse="1",
                announced_from=start.isoformat(),
                announced_to=day.isoformat(),
                **params,
            ),
        ),
    }


def _months(all_cases, frame: Frame) -> list[dict]:
    """New 监测对象 (announced) and eliminations (announced) per month, for the 12 months ending with D's."""
    day, params = frame.as_of, frame.area_params
    starts = _month_starts(day)
    new = dict(
        all_cases.filter(announced_on__range=(starts[0], day))
        .values_list("announced_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    gone = dict(
        within(CaseEvent.objects.filter(kind=CaseEvent.Kind.ELIMINATED), frame)
        .filter(effective_date__range=(starts[0], day))
        .values_list("effective_date")
        .annotate(n=Count("case", distinct=True))
        .order_by()
    )
    months = []
    for start in starts:
        end = _month_end(start, day)
        span = {"from": start.isoformat(), "to": end.isoformat()}
        months.append(
            {
                "month": f"{start:%Y-%m}",
                "new": fig(
                    "新纳入监测",
                    sum(n for d, n in new.items() if start <= d <= end),
                    url("cases:case_list", announced_from=span["from"], announced_to=span["to"], **params),
                ),
                "eliminated": fig(
                    "风险消除",
                    sum(n for d, n in gone.items() if start <= d <= end),
                    url("cases:case_list", eliminated_from=span["from"], eliminated_to=span["to"], **params),
                ),
            }
        )
    return months


def _colours(frame: Frame, grouped: list[dict]) -> dict:
    """Active households by risk colour today (screening/colour.py's rule), per row."""
    per_row = _by_row(grouped, frame, "code", "total", "red", "yellow")
    for counts in per_row.values():
        counts["green"] = counts["total"] - counts["red"] - counts["yellow"]

    def figures(counts: dict, params: dict) -> list[dict]:
        return [
            fig(label, counts.get(key, 0), url("registry:household_list", colour=key, **params), key=key)
            for key, label in COLOURS
        ]

    totals = {key: sum(c[key] for c in per_row.values()) for key in ("red", "yellow", "green", "total")}
    rows = [
        {"area": area, "colours": figures(per_row.get(area.code, {}), area_params(area))}
        for area in row_areas(frame, per_row)
    ]
    return {"today": frame.today, "totals": figures(totals, frame.area_params), "rows": rows}


def income_year(frame: Frame) -> int | None:
    """The latest income year before the as-of year that has incomes (a year's income is assessed after it)."""
    return IncomeYear.objects.filter(year__lt=frame.as_of.year).aggregate(y=Max("year"))["y"]


def _income_of_year(frame: Frame, year: int | None) -> list[dict]:
    """Active households with an income of `year`, by kind and band, from that year's incomes alone (a year
    before the latest, which the households do not carry): each income keeps its household's kind, village
    and activity as they are now (`registry.incomes.keep_household`), read from one partial index."""
    if year is None:
        return []
    bands = _bands(policy_for(year)["monitoring_line"], "net_income_per_capita", Q())
    return list(
        within(IncomeYear.objects.filter(year=year, household_active=True), frame, "household_area")
        .values(kind=F("household_kind"))
        # `year`, not the pk, so that every column read is in the index (an index-only scan)
        .annotate(**{band: Count("year", filter=q) for band, q in bands.items()})
        .order_by()
    )


def _income(frame: Frame, year: int | None, grouped: list[dict]) -> dict | None:
    """Active households with an income of the year, by band against the year's monitoring line and by kind."""
    if year is None:
        return None
    line = policy_for(year)["monitoring_line"]
    grouped_by = {}
    for item in grouped:
        for band in IncomeBand:
            key = (item["kind"], band)
            grouped_by[key] = grouped_by.get(key, 0) + item[band]
    params = frame.area_params
    return {
        "year": year,
        "line": line,
        "near": line * registry.NEAR_MULTIPLE,
        "bands": [
            {
                "band": band,
                "label": band.label,
                "total": fig(
                    band.label,
                    sum(grouped_by.get((kind, band), 0) for kind in HouseholdKind.values),
                    url("registry:household_list", year=year, band=band.value, **params),
                ),
                "kinds": [
                    fig(
                        kind.label,
                        grouped_by.get((kind.value, band), 0),
                        url("registry:household_list", year=year, band=band.value, kind=kind.value, **params),
                    )
                    for kind in HouseholdKind
                ],
            }
            for band in IncomeBand
        ],
    }


# —— 预警: received / closed / overdue by department and row; average days to close ————————————————————


class DayNumber(Func):
    """A date as a number of days, so that sums of date differences are computed in the database."""

    output_field = FloatField()
    template = "(%(expressions)s - DATE '1970-01-01')"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="julianday(%(expressions)s)", **extra)


def warnings(frame: Frame) -> dict:
    """For the year of D up to D: warnings received (raised), closed, and the days from raising to closing
    of the closed ones; overdue = not closed on D and past the verification deadline on D."""
    day = frame.as_of
    start = day.replace(month=1, day=1)
    received, closed = Q(raised_on__range=(start, day)), Q(closed_on__range=(start, day))
    counts = {
        "received": Count("pk", filter=received),
        "closed": Count("pk", filter=closed),
        "overdue": Count("pk", filter=overdue_on(day)),
        "days": Sum(DayNumber("closed_on") - DayNumber("raised_on"), filter=closed),
    }
    scope = within(Warning.objects.all(), frame)
    departments = {
        item["department"]: item for item in scope.values("department").annotate(**counts).order_by()
    }
    rows = _by_row(scope.values("area__code").annotate(**counts).order_by(), frame, "area__code", *counts)
    span = {"from": start.isoformat(), "to": day.isoformat()}

    def line(label: str, item: dict, params: dict) -> dict:
        return {
            "label": label,
            "received": fig(
                "收到",
                item.get("received", 0),
                url("screening:warning_list", raised_from=span["from"], raised_to=span["to"], **params),
            ),
            "closed": fig(
                "办结",
                item.get("closed", 0),
                url("screening:warning_list", closed_from=span["from"], closed_to=span["to"], **params),
            ),
            "overdue": fig(
                "逾期未办结",
                item.get("overdue", 0),
                url("screening:warning_list", overdue_on=span["to"], **params),
            ),
            "average_days": _average(item.get("days"), item.get("closed", 0)),
        }

    labels = {**dict(FeedKind.choices), "": INCOME_LABEL}
    order = [*FeedKind.values, ""]
    by_department = [
        line(labels[d], departments[d], {**frame.area_params, "department": d or INCOME_SOURCE})
        for d in order
        if d in departments
    ]
    by_area = [
        {
            **line(area.name, rows.get(area.code, {}), area_params(area)),
            "area": area,
            "drill": area.code != frame.area.code,
        }
        for area in row_areas(frame, rows)
    ]
    total = {name: sum((r[name] or 0) for r in rows.values()) for name in counts}
    return {
        "start": start,
        "departments": by_department,
        "rows": by_area,
        "total": line("合计", total, frame.area_params),
    }


def _average(days, closed: int) -> Decimal | None:
    if not closed:
        return None
    return (Decimal(str(round(days or 0))) / closed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# —— 督办: overdue steps and visits (cases/queries.board_counts), measures and their coverage ——————————————


def work(frame: Frame) -> dict:
    """督办 as it stands today (`cases.queries.board_counts` for the frame's area); measures by category among
    the households monitored on D, and how many of them have any measure (in progress or done, started by D)."""
    board = cases.board_counts(frame.user, frame.today, frame.area)
    day, params = frame.as_of, frame.area_params
    on = day.isoformat()
    monitored = cases.monitored_on(within(Case.objects.all(), frame), day)
    grouped = _coverage(monitored, day)
    categories = MeasureCategory.values
    per_row = _by_row(grouped, frame, "area__code", "households", "covered", *categories)
    total = {name: sum(r[name] for r in per_row.values()) for name in ("households", "covered", *categories)}

    def coverage(counts: dict, here: dict) -> dict:
        households, covered = counts.get("households", 0), counts.get("covered", 0)
        return {
            "households": fig("监测户", households, url("cases:case_list", monitored_on=on, **here)),
            "covered": fig(
                "已落实措施", covered, url("cases:case_list", monitored_on=on, measure="any", **here)
            ),
            "uncovered": fig(
                "尚无措施",
                households - covered,
                url("cases:case_list", monitored_on=on, measure="none", **here),
            ),
            "share": percent(covered, households),
        }

    def overdue(row) -> dict:  # the board's open-case counts link only as far as the case list filters go
        return {
            "area": row.area,
            "label": row.label,
            "overdue": row.overdue,
            "total_overdue": row.total_overdue,
            "visits_overdue": row.visits_overdue,
        }

    return {
        "board": {
            "level_label": board.level_label,
            "today": board.today,
            "rows": [overdue(row) for row in board.rows],
            "totals": overdue(board.totals),
        },
        "measures": [
            fig(c.label, total[c.value], url("cases:case_list", monitored_on=on, measure=c.value, **params))
            for c in MeasureCategory
        ],
        "coverage": coverage(total, params),
        "rows": [
            {
                "area": area,
                "drill": area.code != frame.area.code,
                **coverage(per_row.get(area.code, {}), area_params(area)),
            }
            for area in row_areas(frame, per_row)
        ],
    }


def _coverage(monitored, day: datetime.date) -> list[dict]:
    """Per village: the monitored cases (`households`), those with any measure in progress or done that started
    by `day` (`covered`), and per category those with such a measure of it — one query: the monitored cases
    left-joined with their carried-out measures reduced to one row per case (a 0/1 column per category), so
    each count is a plain sum (counting distinct cases per category and village sorted 140,000 rows, and the
    three figures took three passes over the cases at district scale)."""
    categories = MeasureCategory.values
    flags = {
        f"c{i}": Max(DbCase(When(category=c, then=Value(1)), default=Value(0), output_field=IntegerField()))
        for i, c in enumerate(categories)
    }
    per_case = (
        Measure.objects.filter(status__in=CARRIED_OUT, start_date__lte=day)
        .values("case_id")
        .annotate(**flags)
        .order_by()
    )
    cases_sql, cases_params = (
        monitored.values(cid=F("pk"), aid=F("area_id")).order_by().query.sql_with_params()
    )
    measures_sql, measures_params = per_case.query.sql_with_params()
    sums = ", ".join(f"SUM(m.c{i})" for i in range(len(categories)))
    query = (
        f"SELECT a.code, COUNT(*), COUNT(m.case_id), {sums} FROM ({cases_sql}) c "
        f"JOIN {Area._meta.db_table} a ON a.id = c.aid "
        f"LEFT JOIN ({measures_sql}) m ON m.case_id = c.cid GROUP BY a.code"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*cases_params, *measures_params])
        rows = cursor.fetchall()
    return [
        {
            "area__code": code,
            "households": households,
            "covered": covered,
            **{c: n or 0 for c, n in zip(categories, per_category, strict=True)},
        }
        for code, households, covered, *per_category in rows
    ]


# —— 就业: 脱贫劳动力 in 外出务工, this year (D) against last year (D one year earlier) ——————————————————————


def year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _labour_counts(frame: Frame, day: datetime.date) -> dict[str, dict[str, int]]:
    sql, params = registry.lifted_labour_on(day, "" if frame.area.level == Level.COUNTY else frame.area.code)
    query = (
        "SELECT area_code, SUM(labour), SUM(migrants), SUM(CASE WHEN migrants > 0 THEN 1 ELSE 0 END) "
        f"FROM ({sql}) l GROUP BY area_code"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        items = [
            {"code": code, "labour": labour, "migrants": migrants, "households": households}
            for code, labour, migrants, households in cursor.fetchall()
        ]
    # The frame's scope is the user's (an area inside it); the history's area is the household's village then.
    return _by_row(items, frame, "code", "labour", "migrants", "households")


def employment(frame: Frame) -> dict:
    """脱贫劳动力 and those in 外出务工 per row on D and on the same day a year before (registry history), with
    the households they live in; a row is flagged when this year's 外出务工 is lower (目标：外出务工规模不减)."""
    this_day, last_day = frame.as_of, year_before(frame.as_of)
    now, before = _labour_counts(frame, this_day), _labour_counts(frame, last_day)

    def side(counts: dict, day: datetime.date, here: dict) -> dict:
        return {
            "labour": counts.get("labour", 0),
            "migrants": fig(
                "外出务工",
                counts.get("migrants", 0),
                url("registry:household_list", migrant_on=day.isoformat(), status="all", **here),
                households=counts.get("households", 0),
            ),
        }

    def line(area, a: dict, b: dict, here: dict) -> dict:
        this, last = side(a, this_day, here), side(b, last_day, here)
        change = this["migrants"]["value"] - last["migrants"]["value"]
        return {"area": area, "this": this, "last": last, "change": change, "lower": change < 0}

    rows = [
        {
            **line(area, now.get(area.code, {}), before.get(area.code, {}), area_params(area)),
            "drill": area.code != frame.area.code,
        }
        for area in row_areas(frame, set(now) | set(before))
    ]

    def total(counts):
        return {k: sum(c[k] for c in counts.values()) for k in ("labour", "migrants", "households")}

    return {
        "this_day": this_day,
        "last_day": last_day,
        "rows": rows,
        "total": line(None, total(now), total(before), frame.area_params),
        "lower": sum(1 for r in rows if r["lower"]),
    }


# —— 资金: disbursement against the checkpoints per source, industry shares, projects by status ———————————


def funds_year(frame: Frame, projects) -> int:
    """D's year, or the latest earlier year with a plan in the frame (January, before the year's plan)."""
    year = PlanItem.objects.filter(project__in=projects, year__lte=frame.as_of.year).aggregate(y=Max("year"))[
        "y"
    ]
    return year or frame.as_of.year


def funds(frame: Frame) -> dict:
    projects = within(Project.objects.all(), frame)
    year = funds_year(frame, projects)
    day = min(frame.as_of, datetime.date(year, 12, 31))
    params = frame.area_params
    progress = checks.progress_rows(year, projects, "source", day)
    progress_url = url("funds:progress", year=year, group="source", as_of=day.isoformat(), **params)
    planned = sum((r.planned for r in progress), Decimal(0))
    paid = sum((r.paid for r in progress), Decimal(0))
    items = PlanItem.objects.filter(year=year, project__in=projects)
    industry = Q(project__category=Category.INDUSTRY)
    central = Q(source=FundSource.CENTRAL)
    leading = industry & Q(project__is_leading_industry=True)
    sums = items.aggregate(
        central=Sum("amount", filter=central),
        central_industry=Sum("amount", filter=central & industry),
        industry=Sum("amount", filter=industry),
        leading=Sum("amount", filter=leading),
        central_projects=Count("project", filter=central, distinct=True),
        central_industry_projects=Count("project", filter=central & industry, distinct=True),
        industry_projects=Count("project", filter=industry, distinct=True),
        leading_projects=Count("project", filter=leading, distinct=True),
    )
    money = {
        k: (sums[k] or Decimal(0)).quantize(Decimal("0.01"))
        for k in ("central", "central_industry", "industry", "leading")
    }
    policy = policy_for(year)
    plan = {"plan_year": year}
    statuses = dict(projects.filter(year=year).values_list("status").annotate(n=Count("pk")).order_by())
    progresses = dict(
        projects.filter(year=year, status=ProjectStatus.IN_LIBRARY)
        .values_list("progress")
        .annotate(n=Count("pk"))
        .order_by()
    )
    townships = []
    if frame.area.level == Level.COUNTY:
        for r in checks.progress_rows(year, projects, "township", day):
            townships.append(
                {
                    "label": r.label,
                    "planned": r.planned,
                    "paid": r.paid,
                    "percent": r.percent,
                    "url": url(
                        "funds:progress", year=year, group="source", as_of=day.isoformat(), township=r.key
                    ),
                }
            )
    return {
        "year": year,
        "day": day,
        "required": checks.required_percent(year, day),
        "checkpoints": checks.checkpoints(year),
        "planned": planned,
        "paid": paid,
        "percent": checks.percent(paid, planned),
        "progress_url": progress_url,
        "sources": [
            {
                "row": r,
                "url": progress_url,
                "projects": url("funds:project_list", **plan, source=r.key, **params),
            }
            for r in progress
        ],
        "shares": [
            fig(
                "产业发展资金占中央衔接资金",
                checks.percent(money["central_industry"], money["central"]),
                url(
                    "funds:project_list",
                    **plan,
                    source=FundSource.CENTRAL.value,
                    category=Category.INDUSTRY.value,
                    **params,
                ),
                part=money["central_industry"],
                whole=money["central"],
                projects=sums["central_industry_projects"],
                minimum=policy["industry_share_min"],
                met=checks.meets(money["central_industry"], money["central"], policy["industry_share_min"]),
            ),
            fig(
                "主导产业资金占产业发展资金",
                checks.percent(money["leading"], money["industry"]),
                url("funds:project_list", **plan, category=Category.INDUSTRY.value, leading="1", **params),
                part=money["leading"],
                whole=money["industry"],
                projects=sums["leading_projects"],
                minimum=policy["leading_industry_share_min"],
                met=checks.meets(money["leading"], money["industry"], policy["leading_industry_share_min"]),
            ),
        ],
        "statuses": [
            fig(
                s.label,
                statuses.get(s.value, 0),
                url("funds:project_list", year=year, status=s.value, **params),
            )
            for s in ProjectStatus
        ],
        "progresses": [
            fig(
                p.label,
                progresses.get(p.value, 0),
                url(
                    "funds:project_list",
                    year=year,
                    status=ProjectStatus.IN_LIBRARY.value,
                    progress=p.value,
                    **params,
                ),
            )
            for p in Progress
        ],
        "townships": townships,
    }
