"""Cases for the tests, driven through the actions themselves: `to_stage(case, Step.X)` takes a fresh
case through every step before X with the cast of conftest.py (xingang: village cadre of 新港村, zelin:
township officer of 泽林镇, officer: district officer).

Dates are fixed in the past (2025), so every action accepts them without freezing the clock; the 2025
settings fall back to the shipped 2024 values (monitoring line 8300).
"""

import datetime
from decimal import Decimal

from zhenxing.attachments.actions import store_attachment
from zhenxing.cases import actions
from zhenxing.cases.models import (
    GUARANTEES,
    Case,
    Channel,
    MeasureCategory,
    MeasureStatus,
    MonitoringType,
    RiskType,
    Step,
)
from zhenxing.registry.actions import record_income

D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FOUND = D(2025, 3, 3)  # Monday
LOW_INCOME = {
    "wage_income": "12000.00",
    "business_income": "3000.00",
    "property_income": "0",
    "transfer_income": "2400.00",
    "production_costs": "1500.00",
}  # net 15900 / 3 persons = 5300.00 per person, below 8300


def scan(user, area, name="承诺授权书.pdf"):
    return store_attachment(user, (name, PDF), area, "scan")


def lead(cast, household, **kw):
    values = dict(
        channel=Channel.CADRE_VISIT,
        description="户主住院，医疗支出大",
        found_on=FOUND,
        risk_types=[RiskType.ILLNESS],
    )
    values.update(kw)
    return actions.record_lead(cast["village_cadre"], household, **values)


def home_check(day, **kw) -> actions.HomeCheck:
    values = dict(
        checked_on=day,
        findings="入户查看，户主因病住院，家庭收入减少",
        incomes=dict(LOW_INCOME),
        monitoring_type=MonitoringType.MARGINAL,
        risk_types=[RiskType.ILLNESS],
        main_risk=RiskType.ILLNESS,
    )
    values.update(kw)
    return actions.HomeCheck(**values)


def open_case(cast, household, day=FOUND, **kw) -> Case:
    return actions.open_case(cast["village_cadre"], lead(cast, household, found_on=day), opened_on=day, **kw)


ORDER = [
    Step.CONSENT,
    Step.HOME_CHECK,
    Step.COMPARISON,
    Step.REVIEW,
    Step.NOTICE,
    Step.TOWNSHIP,
    Step.COUNTY,
    Step.ANNOUNCEMENT,
    Step.DONE,
]
# The day each step is taken in `to_stage` (all working days in 2025).
DAYS = {
    Step.CONSENT: D(2025, 3, 4),
    Step.HOME_CHECK: D(2025, 3, 5),
    Step.COMPARISON: D(2025, 3, 6),
    Step.REVIEW: D(2025, 3, 7),
    Step.NOTICE: D(2025, 3, 7),  # notice 03-07 … 03-12 (5 days)
    Step.TOWNSHIP: D(2025, 3, 12),
    Step.COUNTY: D(2025, 3, 13),
    Step.ANNOUNCEMENT: D(2025, 3, 14),
}


def take(cast, case: Case, step: str, **kw) -> Case:
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    day = DAYS[step]
    if step == Step.CONSENT:
        return actions.record_consent(
            cadre, case, signed_on=day, signer="户主本人", attachments=[scan(cadre, case.area)]
        )
    if step == Step.HOME_CHECK:
        return actions.record_home_check(cadre, case, home_check(day, **kw))
    if step == Step.COMPARISON:
        return actions.record_comparison(cadre, case, compared_on=day, note="已与部门数据比对", **kw)
    if step == Step.REVIEW:
        return actions.record_review(
            cadre,
            case,
            held_on=day,
            attendance=15,
            votes_for=13,
            votes_against=1,
            minutes=[scan(cadre, case.area, "评议记录.pdf")],
        )
    if step == Step.NOTICE:
        actions.publish_notice(cadre, case, start=day, end=day + datetime.timedelta(days=5))
        return Case.objects.get(pk=case.pk)
    if step == Step.TOWNSHIP:
        return actions.township_review(township, case, approve=True, reason="同意", reviewed_on=day)
    if step == Step.COUNTY:
        return actions.county_decision(
            county, case, decision=actions.APPROVE, reason="同意纳入", decided_on=day
        )
    if step == Step.ANNOUNCEMENT:
        return actions.announce(township, case, announced_on=day)
    raise AssertionError(step)


def to_stage(cast, case: Case, stage: str) -> Case:
    """Take the case through every identification step before `stage`."""
    for step in ORDER[: ORDER.index(stage)]:
        case = take(cast, case, step)
    return case


def monitored(cast, household) -> Case:
    return to_stage(cast, open_case(cast, household), Step.DONE)


VERIFIED_ON = D(2025, 10, 10)


def ready_for_elimination(cast, household, day=VERIFIED_ON) -> Case:
    """Monitored since 2025-03-13, one measure carried out, 2025 income above the line, a verification
    visit on `day` with everything secure."""
    case = monitored(cast, household)
    cadre = cast["village_cadre"]
    actions.add_measure(
        cadre,
        case,
        actions.MeasureData(
            category=MeasureCategory.HEALTH,
            content="落实医疗救助和大病保险",
            responsible="区医保局",
            start_date=D(2025, 3, 20),
            status=MeasureStatus.DONE,
            amount=Decimal("6000.00"),
        ),
    )
    record_income(
        cadre,
        household,
        2025,
        {
            "wage_income": "36000",
            "business_income": "3000",
            "property_income": "0",
            "transfer_income": "1200",
            "production_costs": "1000",
        },
    )
    actions.record_visit(cadre, case, secure_visit(day))
    return Case.objects.get(pk=case.pk)


def secure_visit(day, **kw) -> actions.VisitData:
    values = dict(
        visited_on=day,
        findings="户主康复后返岗务工，收入稳定",
        is_verification=True,
        guarantees={key: True for key, _ in GUARANTEES},
        income_stable=True,
        risks_resolved=True,
    )
    values.update(kw)
    return actions.VisitData(**values)
