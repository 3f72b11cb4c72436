"""The warning list as a table: the page's `?export=xlsx` and `zhenxing export warnings FILE.csv`.

Columns (issue 5): 预警编号, 规则, 户编号, 姓名, 公民身份号码 (masked), 风险类型, 状态, 期间, 核实结果.
姓名 and 公民身份号码 are the member the warning names, or the household head for household rules
(income). ID numbers are always masked: the export holds no full personal data.

As of a date (`as_of`): the warnings raised on or before it, each in the state it had that day,
reconstructed from the dates the workflow records (assigned_on, verification_started_on, closed_on);
the result shows only for warnings closed by then.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import QuerySet

from zhenxing.screening.actions.warnings import rule_label
from zhenxing.screening.models import Warning, WarningResult, WarningStatus

HEADERS = ["预警编号", "规则", "户编号", "姓名", "公民身份号码", "风险类型", "状态", "期间", "核实结果"]
# Rows fetched per query while streaming a large export.
CHUNK = 2_000


def status_on(warning: Warning, day: datetime.date | None) -> str:
    """The warning's status on `day` (None: now)."""
    if day is None:
        return warning.status
    if warning.closed_on and warning.closed_on <= day:
        return WarningStatus.CLOSED
    if warning.verification_started_on and warning.verification_started_on <= day:
        return WarningStatus.VERIFYING
    if warning.assigned_on and warning.assigned_on <= day:
        return WarningStatus.ASSIGNED
    return WarningStatus.NEW


def for_export(warnings: QuerySet, as_of: datetime.date | None = None) -> QuerySet:
    if as_of is not None:
        warnings = warnings.filter(raised_on__lte=as_of)
    return warnings.select_related("household__head", "person").order_by("number")


def rows(warnings: QuerySet, as_of: datetime.date | None = None) -> Iterator[list]:
    """One row per warning, streamed."""
    for w in for_export(warnings, as_of).iterator(chunk_size=CHUNK):
        who = w.person or w.household.head
        status = status_on(w, as_of)
        result = WarningResult(w.result).label if w.result and status == WarningStatus.CLOSED else ""
        yield [
            w.number,
            rule_label(w.rule),
            w.household.number,
            who.name if who else "",
            who.id_masked if who else "",
            w.risk_type,
            WarningStatus(status).label,
            w.period,
            result,
        ]
