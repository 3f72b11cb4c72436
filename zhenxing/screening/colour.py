"""The household risk colour (红/黄/绿), transparent and computed, never typed.

    colour, reason = risk_colour(household)        # ("red", "有1条未办结的筛查预警")
    colours = risk_colours([h.pk for h in page])    # {pk: (colour, reason)}, four queries for a page

The rule, checked in this order (the reason names every condition that applies at the chosen colour):
- red (红): the household has an open screening warning (any status but 已办结), an open risk lead
  (待处理: a warning closed as 纳入监测, a declaration or a cadre's finding not yet verified), an open case
  in identification (识别认定中), or an open monitored case (监测帮扶中 or 风险消除程序中) whose current step
  is past its deadline (`stage_due` before today);
- yellow (黄): the household is monitored (`monitoring_status` 监测对象, or an open monitored case);
- green (绿): everything else — risk eliminated (风险已消除) or no warning, case or monitoring at all.
Overdue visits do not make a household red: they are a to-do of its cadre, not a step of the procedure.

Lists and dashboards count colours over a whole district from three columns of the household that hold
this rule's inputs (`risk_open`, `risk_monitored`, `risk_step_due`; `registry.queries.colour_q` reads them).
`refresh(household_ids)` recomputes them from the warnings, leads, cases and monitoring status; it runs on
every save or delete of a case, lead or warning (`receivers.py`) and on the `risk_changed` signal the
cases actions send after their queryset updates; a run's warnings stored in bulk set `risk_open`
(`mark_open`). The tests check the columns against this module after every test (`conftest.py`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils import timezone

from zhenxing.cases.models import Case, CaseStatus, Lead, LeadStatus, Step
from zhenxing.registry.models import Household, MonitoringStatus
from zhenxing.screening.models import Warning, WarningStatus

RED, YELLOW, GREEN = "red", "yellow", "green"
LABELS = {RED: "红色", YELLOW: "黄色", GREEN: "绿色"}
# Rows per query: well under SQLite's limit of bound variables.
CHUNK = 500
MONITORED_CASE = (CaseStatus.MONITORED, CaseStatus.ELIMINATING)


def risk_colour(household: Household, today: datetime.date | None = None) -> tuple[str, str]:
    """(colour, Chinese reason) of one household."""
    return risk_colours([household.pk], today)[household.pk]


def risk_colours(
    household_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, tuple[str, str]]:
    """(colour, reason) of each household, by pk; unknown pks are left out."""
    today = today or timezone.localdate()
    ids = sorted(set(household_ids))
    colours: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        colours.update(_colours(ids[start : start + CHUNK], today))
    return colours


def _colours(ids: list[int], today: datetime.date) -> dict[int, tuple[str, str]]:
    statuses = dict(Household.objects.filter(pk__in=ids).values_list("pk", "monitoring_status"))
    warnings = dict(
        Warning.objects.filter(household_id__in=ids)
        .exclude(status=WarningStatus.CLOSED)
        .values_list("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    leads = dict(
        Lead.objects.filter(household_id__in=ids, status=LeadStatus.OPEN)
        .values_list("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    cases = {c.household_id: c for c in Case.objects.filter(household_id__in=ids, is_open=True)}
    return {
        pk: _colour(status, warnings.get(pk, 0), leads.get(pk, 0), cases.get(pk), today)
        for pk, status in statuses.items()
    }


def _colour(
    status: str, open_warnings: int, open_leads: int, case: Case | None, today: datetime.date
) -> tuple[str, str]:
    red = []
    if open_warnings:
        red.append(f"有{open_warnings}条未办结的筛查预警")
    if open_leads:
        red.append(f"有{open_leads}条待处理的风险线索")
    if case is not None and case.status == CaseStatus.IDENTIFYING:
        red.append(f"识别认定中（{case.number}，待办环节：{case.get_stage_display()}）")
    monitored_case = case is not None and case.status in MONITORED_CASE
    if monitored_case and case.stage != Step.DONE and case.stage_due and case.stage_due < today:
        red.append(
            f"{case.get_status_display()}，{case.get_stage_display()}已逾期（期限{case.stage_due:%Y-%m-%d}）"
        )
    if red:
        return RED, "；".join(red)
    if monitored_case or status == MonitoringStatus.MONITORED:
        return YELLOW, f"监测对象（{case.get_status_display()}）" if monitored_case else "监测对象"
    if status == MonitoringStatus.ELIMINATED:
        return GREEN, "风险已消除"
    return GREEN, "无未办结的预警，未纳入监测"


def refresh(household_ids: Iterable[int]) -> None:
    """Recompute the colour columns of these households from the warnings, leads, cases and status."""
    ids = sorted({pk for pk in household_ids if pk is not None})
    if not ids:
        return
    values = _columns()
    for start in range(0, len(ids), CHUNK):
        Household.objects.filter(pk__in=ids[start : start + CHUNK]).update(**values)


def mark_open(household_ids: Iterable[int]) -> None:
    """These households just got a new open warning: `risk_open` is true whatever else holds — one plain
    UPDATE instead of `refresh`'s subqueries (a first run at district scale stores hundreds of thousands)."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    if connection.vendor == "postgresql":  # the ids as one array: one statement
        with connection.cursor() as cursor:
            table = Household._meta.db_table
            cursor.execute(
                f"UPDATE {table} SET risk_open = TRUE WHERE id = ANY(%s::bigint[]) AND NOT risk_open", [ids]
            )
        return
    size = min(connection.features.max_query_params or 10_000, 10_000)  # SQLite: 999 bound values
    for start in range(0, len(ids), size):
        Household.objects.filter(pk__in=ids[start : start + size], risk_open=False).update(risk_open=True)


def refresh_all() -> int:
    """Recompute the columns of every household that has them set or that the rule names (a repair after
    bulk loads, and the migration's fill); returns how many households were looked at."""
    from zhenxing.registry.queries import colour_sets

    red, yellow = colour_sets(timezone.localdate())
    flagged = Household.objects.filter(
        Q(risk_open=True) | Q(risk_monitored=True) | Q(risk_step_due__isnull=False)
    ).values_list("pk", flat=True)
    named = (pk for rows in (red, yellow) for row in rows for pk in row.values())  # UNIONs of .values()
    ids = {*flagged, *named}
    refresh(ids)
    return len(ids)


def stale() -> list[tuple[int, tuple, tuple]]:
    """(pk, stored, computed) of every household whose colour columns differ from what `refresh` would
    write — empty when they are kept; the test suite checks it after every test."""
    names = ("risk_open", "risk_monitored", "risk_step_due")
    rows = Household.objects.annotate(**{f"computed_{n}": e for n, e in _columns().items()}).values_list(
        "pk", *names, *(f"computed_{n}" for n in names)
    )
    return [(row[0], row[1:4], row[4:7]) for row in rows if tuple(row[1:4]) != tuple(row[4:7])]


def _columns() -> dict:
    """The UPDATE's values: one correlated subquery per input of the rule, for the household updated."""
    open_cases = Case.objects.filter(household=OuterRef("pk"), is_open=True)
    monitored = open_cases.filter(status__in=MONITORED_CASE)
    risk_open = (
        Exists(Warning.objects.filter(household=OuterRef("pk")).exclude(status=WarningStatus.CLOSED))
        | Exists(Lead.objects.filter(household=OuterRef("pk"), status=LeadStatus.OPEN))
        | Exists(open_cases.filter(status=CaseStatus.IDENTIFYING))
    )
    return {
        "risk_open": ExpressionWrapper(risk_open, output_field=BooleanField()),
        "risk_monitored": ExpressionWrapper(
            Q(monitoring_status=MonitoringStatus.MONITORED) | Exists(monitored), output_field=BooleanField()
        ),
        "risk_step_due": Subquery(
            monitored.exclude(stage=Step.DONE)
            .filter(stage_due__isnull=False)
            .order_by("stage_due")
            .values("stage_due")[:1]
        ),
    }
