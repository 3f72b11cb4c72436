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
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
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
