"""预警处置台账: the screening warnings raised on or before the as-of date, each as it stood that day.

The state on a date comes from the dates the workflow records (`screening.exports.status_on`: assigned,
verification started, closed); later dates and the result of a warning closed later are left blank.
办理天数 counts calendar days from raising to closing (or to the as-of date while open); 是否超期 says
whether it was closed after its deadline, or is still open past it.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from zhenxing.accounts.roles import Department
from zhenxing.areas.models import Area
from zhenxing.lib import personal
from zhenxing.reports.statutory.common import CHUNK_SIZE, Place, places, within
from zhenxing.reports.statutory.table import (
    COUNT_YES,
    INT,
    Column,
    Report,
    Table,
    day_text,
    register,
    yes_no,
)
from zhenxing.screening.actions.warnings import rule_label
from zhenxing.screening.exports import status_on
from zhenxing.screening.models import Warning, WarningResult, WarningStatus

NOWHERE = Place("", "")
DEPARTMENTS = dict(Department.choices)
STATUS_LABELS = dict(WarningStatus.choices)
RESULT_LABELS = dict(WarningResult.choices)


def warnings_columns(as_of: datetime.date) -> list[Column]:
    return [
        Column("乡镇（街道）", 12),
        Column("村（社区）", 12),
        Column("预警编号", 14),
        Column("预警规则", 24, wrap=True),
        Column("来源部门", 12),
        Column("户编号", 16),
        Column("姓名", 10),
        Column("公民身份号码", 21),
        Column("风险类型", 9),
        Column("期间", 9),
        Column("下发日期", 12),
        Column("核实期限", 12),
        Column("分派日期", 12),
        Column("开始核实日期", 12),
        Column("办结日期", 12),
        Column("状态", 12),
        Column("核实结果", 9),
        Column("核实说明", 24, wrap=True),
        Column("办理天数", 8, INT),
        Column("是否超期", 8, total=COUNT_YES),
    ]


def _on(day: datetime.date | None, as_of: datetime.date) -> datetime.date | None:
    return day if day is not None and day <= as_of else None


def warnings_table(area: Area, as_of: datetime.date, full_ids: bool) -> Table:
    warnings = within(Warning.objects.filter(raised_on__lte=as_of), area)
    where = places(area)
    # The member the warning names, or the household head for household rules (as the warning list).
    who = ["person__name", "person__id_masked", "household__head__name", "household__head__id_masked"]
    if full_ids:
        who += ["person__id_number_encrypted", "household__head__id_number_encrypted"]
    fields = (
        "number",
        "rule",
        "department",
        "household__number",
        "area_id",
        "risk_type",
        "period",
        "raised_on",
        "due",
        "assigned_on",
        "verification_started_on",
        "closed_on",
        "result",
        "result_reason",
        *who,
    )

    def rows():
        ordered = warnings.order_by("area__code", "household__number", "raised_on", "number")
        for w in ordered.values(*fields).iterator(chunk_size=CHUNK_SIZE):
            closed = _on(w["closed_on"], as_of)
            state = SimpleNamespace(
                closed_on=closed,
                verification_started_on=_on(w["verification_started_on"], as_of),
                assigned_on=_on(w["assigned_on"], as_of),
            )
            status = status_on(state, as_of)
            prefix = "person__" if w["person__name"] is not None else "household__head__"
            if full_ids:
                id_number = personal.decrypt(w[f"{prefix}id_number_encrypted"] or "")
            else:
                id_number = w[f"{prefix}id_masked"] or ""
            end = closed or as_of
            overdue = end > w["due"]
            place = where.get(w["area_id"], NOWHERE)
            yield [
                place.township,
                place.village,
                w["number"],
                rule_label(w["rule"]),
                DEPARTMENTS.get(w["department"], w["department"]),
                w["household__number"],
                w[f"{prefix}name"] or "",
                id_number,
                w["risk_type"],
                w["period"],
                day_text(w["raised_on"]),
                day_text(w["due"]),
                day_text(state.assigned_on),
                day_text(state.verification_started_on),
                day_text(closed),
                STATUS_LABELS.get(status, status),
                RESULT_LABELS.get(w["result"], "") if closed else "",
                w["result_reason"] if closed else "",
                (end - w["raised_on"]).days,
                yes_no(overdue),
            ]

    return Table(warnings.count(), rows())


register(
    Report(
        name="warnings",
        title="预警处置台账",
        unit="条",
        description="截至所选日期已下发的部门筛查预警，每条一行：规则、来源部门、分派核实办结日期、当日状态与结果、办理天数、是否超期。",
        columns=warnings_columns,
        table=warnings_table,
        has_id_numbers=True,
    )
)
