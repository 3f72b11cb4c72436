"""监测对象台账, 帮扶措施台账 and 风险消除台账: monitoring cases as they stood on the as-of date.

The state on a date comes from the dates the cases app records, never from today's status:
- a household is a monitored household (监测对象) from the announcement of its identification
  (`Case.announced_on`, the `MONITORED` event) on;
- its risk is eliminated on a date when the last `ELIMINATED` / `ROLLED_BACK` event of the case up to that
  date is an elimination (a rollback clears `Case.eliminated_on`, the events keep the history);
- a measure counts from its start date, in the status its last update up to the date gave it
  (`MEASURE_UPDATED` events carry from → to).
Household heads and sizes are those of the as-of date (registry memberships). One row per household in
the first report (its latest case monitored by then), per measure in the second, per elimination in the
third. The area filter uses the case's village (as the cases app's scope does); rows are sorted and named
by the household's village, the same one unless the household has moved since.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q

from zhenxing.areas.models import Area
from zhenxing.cases.models import (
    Case,
    CaseEvent,
    Measure,
    MeasureCategory,
    MeasureStatus,
    MonitoringType,
    RiskType,
)
from zhenxing.registry.models import HouseholdKind
from zhenxing.reports.statutory.common import (
    CHUNK_SIZE,
    NO_HEAD,
    Place,
    heads_on,
    places,
    sizes_on,
    within,
)
from zhenxing.reports.statutory.table import (
    COUNT_YES,
    INT,
    MONEY,
    SUM,
    Column,
    Report,
    Table,
    day_text,
    register,
    yes_no,
)

NOWHERE = Place("", "")
RISK_LABELS = dict(RiskType.choices)
TYPE_LABELS = dict(MonitoringType.choices)
KIND_LABELS = dict(HouseholdKind.choices)
CATEGORY_LABELS = dict(MeasureCategory.choices)
MEASURE_STATUS_LABELS = dict(MeasureStatus.choices)


def risk_text(main: str, risks: list) -> str:
    """The main risk first, then the others, as labels: 因病、因学."""
    ordered = [main] if main else []
    ordered += [r for r in risks or [] if r != main]
    return "、".join(RISK_LABELS.get(r, r) for r in ordered)


def cadre_name(full_name: str | None, username: str | None) -> str:
    return full_name or username or ""


def eliminated_on(cases, as_of: datetime.date) -> dict[int, datetime.date]:
    """Cases whose risk stood eliminated on `as_of`, with the elimination date (one query)."""
    events = (
        CaseEvent.objects.filter(
            kind__in=(CaseEvent.Kind.ELIMINATED, CaseEvent.Kind.ROLLED_BACK),
            effective_date__lte=as_of,
            case__in=cases.values("pk"),
        )
        .order_by("effective_date", "id")
        .values_list("case_id", "kind", "effective_date")
    )
    state: dict[int, datetime.date | None] = {}
    for case_id, kind, day in events.iterator(chunk_size=CHUNK_SIZE):
        state[case_id] = day if kind == CaseEvent.Kind.ELIMINATED else None
    return {case_id: day for case_id, day in state.items() if day is not None}


# --- 监测对象台账 --------------------------------------------------------------------------------------


def monitored_columns(as_of: datetime.date) -> list[Column]:
    return [
        Column("乡镇（街道）", 12),
        Column("村（社区）", 12),
        Column("户编号", 16),
        Column("户主姓名", 10),
        Column("公民身份号码", 21),
        Column("家庭人口数", 8, INT, SUM),
        Column("户类型", 9),
        Column("监测对象类别", 13),
        Column("致贫返贫风险", 16),
        Column("识别监测时间", 12),
        Column("帮扶责任人", 10),
        Column("识别时人均纯收入（元）", 13, MONEY),
        Column("风险是否消除", 8, total=COUNT_YES),
        Column("风险消除时间", 12),
    ]


CASE_FIELDS = (
    "pk",
    "household_id",
    "household__number",
    "household__kind",
    "household__area_id",
    "monitoring_type",
    "risk_types",
    "main_risk",
    "identified_on",
    "assessed_per_capita",
    "cadre__full_name",
    "cadre__username",
)


def monitored_table(area: Area, as_of: datetime.date, full_ids: bool) -> Table:
    """One row per household monitored on or before `as_of`: its latest case announced by then."""
    cases = within(Case.objects.filter(announced_on__lte=as_of, identified_on__isnull=False), area)
    households = cases.order_by().values("household_id")
    count = households.distinct().count()
    heads, sizes = heads_on(households, as_of, full_ids), sizes_on(households, as_of)
    eliminated, where = eliminated_on(cases, as_of), places(area)

    def row(case: dict) -> list:
        head = heads.get(case["household_id"], NO_HEAD)
        place = where.get(case["household__area_id"], NOWHERE)
        day = eliminated.get(case["pk"])
        return [
            place.township,
            place.village,
            case["household__number"],
            head.name,
            head.id_number,
            sizes.get(case["household_id"], 0),
            KIND_LABELS.get(case["household__kind"], ""),
            TYPE_LABELS.get(case["monitoring_type"], ""),
            risk_text(case["main_risk"], case["risk_types"]),
            day_text(case["identified_on"]),
            cadre_name(case["cadre__full_name"], case["cadre__username"]),
            case["assessed_per_capita"],
            yes_no(day is not None),
            day_text(day),
        ]

    def rows():
        ordered = cases.order_by("household__area__code", "household__number", "announced_on", "pk")
        latest = None
        for case in ordered.values(*CASE_FIELDS).iterator(chunk_size=CHUNK_SIZE):
            if latest is not None and latest["household_id"] != case["household_id"]:
                yield row(latest)
            latest = case  # a household's cases come together, oldest first: the last one counts
        if latest is not None:
            yield row(latest)

    return Table(count, rows())


register(
    Report(
        name="monitored",
        title="监测对象台账",
        unit="户",
        description="截至所选日期已纳入监测的农户，每户一行：户主、人口、类别、风险、识别时间、帮扶责任人、风险是否消除。",
        columns=monitored_columns,
        table=monitored_table,
        has_id_numbers=True,
    )
)


# --- 帮扶措施台账 --------------------------------------------------------------------------------------


def measures_columns(as_of: datetime.date) -> list[Column]:
    return [
        Column("乡镇（街道）", 12),
        Column("村（社区）", 12),
        Column("户编号", 16),
        Column("户主姓名", 10),
        Column("公民身份号码", 21),
        Column("案件编号", 14),
        Column("措施类别", 12),
        Column("措施内容", 30, wrap=True),
        Column("责任人或责任单位", 16, wrap=True),
        Column("开始日期", 12),
        Column("结束日期", 12),
        Column("金额（元）", 12, MONEY, SUM),
        Column("状态", 9),
        Column("绿色通道先行落实", 9, total=COUNT_YES),
    ]


def measure_status_on(measures, area: Area, as_of: datetime.date) -> dict[int, str]:
    """Each updated measure's status on `as_of`: the `to` of its last update by then, else the `from` of
    its first update (the status it was added with). Measures never updated keep their status."""
    updates = (
        within(CaseEvent.objects.filter(kind=CaseEvent.Kind.MEASURE_UPDATED), area)
        .order_by("id")
        .values_list("data", "effective_date")
    )
    status: dict[int, str] = {}
    for data, day in updates.iterator(chunk_size=CHUNK_SIZE):
        measure = data.get("measure")
        if measure not in status:
            status[measure] = data.get("from", "")
        if day <= as_of:
            status[measure] = data.get("to", "")
    return status


def measures_table(area: Area, as_of: datetime.date, full_ids: bool) -> Table:
    measures = within(Measure.objects.filter(start_date__lte=as_of), area)
    households = measures.order_by().values("household_id")
    heads, where = heads_on(households, as_of, full_ids), places(area)
    status_on = measure_status_on(measures, area, as_of)
    fields = (
        "pk",
        "household_id",
        "household__number",
        "household__area_id",
        "case__number",
        "category",
        "content",
        "responsible",
        "start_date",
        "end_date",
        "amount",
        "status",
        "before_approval",
    )

    def rows():
        ordered = measures.order_by("household__area__code", "household__number", "start_date", "pk")
        for m in ordered.values(*fields).iterator(chunk_size=CHUNK_SIZE):
            head = heads.get(m["household_id"], NO_HEAD)
            place = where.get(m["household__area_id"], NOWHERE)
            status = status_on.get(m["pk"], m["status"])
            yield [
                place.township,
                place.village,
                m["household__number"],
                head.name,
                head.id_number,
                m["case__number"],
                CATEGORY_LABELS.get(m["category"], m["category"]),
                m["content"],
                m["responsible"],
                day_text(m["start_date"]),
                day_text(m["end_date"]),
                m["amount"],
                MEASURE_STATUS_LABELS.get(status, status),
                yes_no(m["before_approval"]),
            ]

    return Table(measures.count(), rows())


register(
    Report(
        name="measures",
        title="帮扶措施台账",
        unit="项",
        description="截至所选日期已开始的帮扶措施，每项一行：类别、内容、责任人、起止日期、金额、当日状态。",
        columns=measures_columns,
        table=measures_table,
        has_id_numbers=True,
    )
)


# --- 风险消除台账 --------------------------------------------------------------------------------------

# The elimination criteria recorded when the procedure started (`ELIMINATION_STARTED` data), in order.
CRITERIA = (
    ("months", "识别认定时长"),
    ("measures", "帮扶措施落实"),
    ("income", "人均纯收入情况"),
    ("stable", "收入持续稳定"),
    ("guarantees", "两不愁三保障及饮水安全"),
    ("risks", "风险消除情况"),
)


def eliminations_columns(as_of: datetime.date) -> list[Column]:
    return [
        Column("乡镇（街道）", 12),
        Column("村（社区）", 12),
        Column("户编号", 16),
        Column("户主姓名", 10),
        Column("公民身份号码", 21),
        Column("家庭人口数", 8, INT, SUM),
        Column("监测对象类别", 13),
        Column("致贫返贫风险", 16),
        Column("识别监测时间", 12),
        Column("启动风险消除日期", 12),
        Column("风险消除时间", 12),
        Column("帮扶责任人", 10),
        *(Column(label, 24, wrap=True) for _, label in CRITERIA),
        Column("是否已回退", 8, total=COUNT_YES),
        Column("回退日期", 12),
    ]


def _by_case(events) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for case_id, day, data in events.iterator(chunk_size=CHUNK_SIZE):
        grouped[case_id].append((day, data))
    return grouped


def eliminations_table(area: Area, as_of: datetime.date, full_ids: bool) -> Table:
    """One row per risk elimination announced on or before `as_of`, with the criteria as checked when
    its procedure started and whether it was rolled back by then."""
    eliminations = within(
        CaseEvent.objects.filter(kind=CaseEvent.Kind.ELIMINATED, effective_date__lte=as_of), area
    )
    cases = eliminations.order_by().values("case_id")
    households = eliminations.order_by().values("household_id")
    heads, sizes = heads_on(households, as_of, full_ids), sizes_on(households, as_of)
    where = places(area)
    earlier = Q(effective_date__lte=as_of, case__in=cases)
    ordered = ("effective_date", "id")
    started = _by_case(
        CaseEvent.objects.filter(earlier, kind=CaseEvent.Kind.ELIMINATION_STARTED)
        .order_by(*ordered)
        .values_list("case_id", "effective_date", "data")
    )
    rollbacks = _by_case(
        CaseEvent.objects.filter(earlier, kind=CaseEvent.Kind.ROLLED_BACK)
        .order_by(*ordered)
        .values_list("case_id", "effective_date", "data")
    )
    fields = (
        "case_id",
        "effective_date",
        "household_id",
        "household__number",
        "household__area_id",
        "case__monitoring_type",
        "case__risk_types",
        "case__main_risk",
        "case__identified_on",
        "case__cadre__full_name",
        "case__cadre__username",
    )

    def rows():
        ordered_events = eliminations.order_by("household__area__code", "household__number", *ordered)
        for e in ordered_events.values(*fields).iterator(chunk_size=CHUNK_SIZE):
            day = e["effective_date"]
            start = [(d, data) for d, data in started.get(e["case_id"], []) if d <= day]
            start_day, start_data = start[-1] if start else (None, {})
            criteria = start_data.get("criteria", {})
            rolled = [d for d, _ in rollbacks.get(e["case_id"], []) if d >= day]
            head = heads.get(e["household_id"], NO_HEAD)
            place = where.get(e["household__area_id"], NOWHERE)
            yield [
                place.township,
                place.village,
                e["household__number"],
                head.name,
                head.id_number,
                sizes.get(e["household_id"], 0),
                TYPE_LABELS.get(e["case__monitoring_type"], ""),
                risk_text(e["case__main_risk"], e["case__risk_types"]),
                day_text(e["case__identified_on"]),
                day_text(start_day),
                day_text(day),
                cadre_name(e["case__cadre__full_name"], e["case__cadre__username"]),
                *(str(criteria.get(key, "")) for key, _ in CRITERIA),
                yes_no(bool(rolled)),
                day_text(rolled[0] if rolled else None),
            ]

    return Table(eliminations.count(), rows())


register(
    Report(
        name="eliminations",
        title="风险消除台账",
        unit="户次",
        description="截至所选日期已公告风险消除的农户，每次消除一行：启动与消除日期、启动时核验的各项消除条件、是否已回退。",
        columns=eliminations_columns,
        table=eliminations_table,
        has_id_numbers=True,
    )
)
