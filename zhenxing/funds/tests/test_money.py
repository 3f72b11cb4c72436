import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions, checks
from zhenxing.funds.models import Category, Disbursement, FundSource, PlanItem, ProjectEvent
from zhenxing.funds.tests.conftest import library_project, project_data
from zhenxing.funds.todos import behind_schedule

pytestmark = pytest.mark.django_db
C = FundSource.CENTRAL


def allocate(cast, amount, source=C):
    actions.add_allocation(
        cast["district_officer"],
        2024,
        source,
        Decimal(amount),
        f"鄂财农{amount}号",
        datetime.date(2024, 1, 5),
    )


def counts():
    return (
        PlanItem.objects.count(),
        Disbursement.objects.count(),
        ProjectEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_it_passes_industry_share_at_exactly_60_and_fails_at_59_99(cast, village):
    assert checks.meets(Decimal("6000.00"), Decimal("10000.00"), Decimal("60"))
    assert not checks.meets(Decimal("5999.00"), Decimal("10000.00"), Decimal("60"))
    assert checks.percent(Decimal("5999.99"), Decimal("10000.00")) == Decimal("59.99")  # shown rounded down
    allocate(cast, "10000.00")
    industry = library_project(cast, village, amounts={C: Decimal("5999.00")})
    other = library_project(
        cast,
        village,
        category=Category.INFRASTRUCTURE,
        is_leading_industry=False,
        amounts={C: Decimal("4001.00")},
    )
    actions.set_plan_item(cast["district_officer"], 2024, industry, C, "5999.00")
    actions.set_plan_item(cast["district_officer"], 2024, other, C, "4001.00")
    result, _ = checks.plan_checks(2024)
    assert (result[1].passed, result[1].figures) == (
        False,
        "中央衔接资金安排 10000.00 元，其中产业发展 5999.00 元，占 59.99%",
    )
    actions.set_plan_item(cast["district_officer"], 2024, other, C, "3999.00")
    industry_share = checks.plan_checks(2024)[0][1]
    assert industry_share.passed is True  # 5999 / 9998 = 60.002%
    assert industry_share.figures.endswith("占 60.00%")


def test_the_industry_check_uses_the_boundary_exactly(cast, village):
    allocate(cast, "10000.00")
    industry = library_project(cast, village, amounts={C: Decimal("6000.00")})
    other = library_project(
        cast,
        village,
        category=Category.INFRASTRUCTURE,
        is_leading_industry=False,
        amounts={C: Decimal("4000.00")},
    )
    actions.set_plan_item(cast["district_officer"], 2024, industry, C, "6000.00")
    actions.set_plan_item(cast["district_officer"], 2024, other, C, "4000.00")
    result, _ = checks.plan_checks(2024)
    assert [c.passed for c in result] == [False, True, True, True]  # reserve 100% < 120%
    assert result[1].figures.endswith("占 60.00%")


def test_it_checks_the_reserve_at_120_percent(cast, village):
    allocate(cast, "100000.00")
    library_project(cast, village, amounts={C: Decimal("119999.99")})
    assert checks.plan_checks(2024)[0][0].passed is False
    library_project(cast, village, amounts={C: Decimal("0.01")})
    check = checks.plan_checks(2024)[0][0]
    assert check.passed is True and check.figures.endswith("储备比例 120.00%")


def test_it_checks_the_leading_industry_share(cast, village):
    allocate(cast, "10000.00")
    lead = library_project(cast, village, amounts={C: Decimal("5999.00")})
    plain = library_project(cast, village, is_leading_industry=False, amounts={C: Decimal("4001.00")})
    actions.set_plan_item(cast["district_officer"], 2024, lead, C, "5999.00")
    actions.set_plan_item(cast["district_officer"], 2024, plain, C, "4001.00")
    assert checks.plan_checks(2024)[0][2].passed is False


def test_it_refuses_assigning_more_than_allocated(cast, village, in_library):
    allocate(cast, "50000.00")
    actions.set_plan_item(cast["district_officer"], 2024, in_library, C, "50000.00")
    other = library_project(cast, village)
    before = counts()
    with pytest.raises(ValidationError, match="将超出下达金额"):
        actions.set_plan_item(cast["district_officer"], 2024, other, C, "0.01")
    assert counts() == before


def test_it_refuses_planning_a_project_not_in_the_library(cast, village):
    allocate(cast, "50000.00")
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    before = counts()
    with pytest.raises(ValidationError, match="规则29"):
        actions.set_plan_item(cast["district_officer"], 2024, project, C, "100.00")
    assert counts() == before


def test_it_refuses_a_disbursement_over_the_plan(cast, in_library):
    allocate(cast, "100000.00")
    actions.set_plan_item(cast["district_officer"], 2024, in_library, C, "80000.00")
    actions.record_disbursement(
        cast["district_officer"], in_library, 2024, C, datetime.date(2024, 4, 1), "50000.00", "P1"
    )
    before = counts()
    with pytest.raises(ValidationError, match="将超出计划安排"):
        actions.record_disbursement(
            cast["district_officer"], in_library, 2024, C, datetime.date(2024, 4, 2), "30000.01", "P2"
        )
    assert counts() == before
    actions.record_disbursement(
        cast["district_officer"], in_library, 2024, C, datetime.date(2024, 4, 2), "30000.00", "P2"
    )
    assert actions.disbursed(in_library, 2024, C) == Decimal("80000.00")


def test_it_refuses_paying_an_unplanned_source(cast, in_library):
    before = counts()
    with pytest.raises(ValidationError, match="未列入2024年度计划"):
        actions.record_disbursement(
            cast["district_officer"], in_library, 2024, C, datetime.date(2024, 4, 1), "1.00", "P"
        )
    assert counts() == before


def test_the_checkpoints_come_from_the_years_policy():
    cps = checks.checkpoints(2024)
    assert [(c.date, c.percent) for c in cps] == [
        (datetime.date(2024, 4, 30), Decimal("35")),
        (datetime.date(2024, 6, 30), Decimal("55")),
        (datetime.date(2024, 9, 30), Decimal("80")),
    ]
    assert checks.due_checkpoint(2024, datetime.date(2024, 4, 14)) is None
    assert checks.due_checkpoint(2024, datetime.date(2024, 4, 15)).date == datetime.date(2024, 4, 30)
    assert checks.due_checkpoint(2024, datetime.date(2024, 6, 15)).date == datetime.date(2024, 6, 30)
    assert checks.required_percent(2024, datetime.date(2024, 6, 29)) == Decimal("35")
    assert checks.required_percent(2024, datetime.date(2024, 6, 30)) == Decimal("55")


def test_progress_and_todo_flag_projects_behind_the_june_checkpoint(cast, in_library):
    allocate(cast, "100000.00")
    actions.set_plan_item(cast["district_officer"], 2024, in_library, C, "100000.00")
    actions.record_disbursement(
        cast["district_officer"], in_library, 2024, C, datetime.date(2024, 4, 20), "35000.00", "P1"
    )
    rows = checks.progress_rows(2024, [in_library], "source", datetime.date(2024, 7, 1))
    assert [(r.label, r.planned, r.paid, r.percent) for r in rows] == [
        ("中央衔接资金", Decimal("100000.00"), Decimal("35000.00"), Decimal("35.00"))
    ]
    assert [met for _, _, _, met in rows[0].at_checkpoints] == [True, False, None]
    assert behind_schedule(cast["village_cadre"], today=datetime.date(2024, 6, 14)) == []  # before the window
    items = behind_schedule(cast["village_cadre"], today=datetime.date(2024, 6, 15))
    assert [(i.title, i.due) for i in items] == [
        ("新港村茶园提质：拨付进度 35.00%，低于6月30日 55%的时序进度", datetime.date(2024, 6, 30))
    ]
    assert behind_schedule(cast["outside_village_cadre"], today=datetime.date(2024, 6, 15)) == []
    assert behind_schedule(cast["inspector"], today=datetime.date(2024, 6, 15)) == []
