"""The progress table's sums (computed in the database) against the same figures added up by hand."""

import datetime
from decimal import Decimal

import pytest

from zhenxing.funds import actions, checks
from zhenxing.funds.models import Category, FundSource, Project
from zhenxing.funds.tests.conftest import library_project

pytestmark = pytest.mark.django_db
C, P = FundSource.CENTRAL, FundSource.PROVINCIAL
D = datetime.date


@pytest.fixture
def paid_projects(cast, village, other_village):
    officer = cast["district_officer"]
    for source, amount in ((C, "1000000"), (P, "100000")):
        actions.add_allocation(officer, 2024, source, Decimal(amount), f"鄂财{source}", D(2024, 1, 5))
    tea = library_project(cast, village)  # 中央 100000, 省级 20000
    road = library_project(
        cast, other_village, name="杜山村产业路", category=Category.INFRASTRUCTURE, is_leading_industry=False
    )
    unplanned = library_project(cast, village, name="储备项目")
    actions.set_plan_item(officer, 2024, tea, C, "100000.00")
    actions.set_plan_item(officer, 2024, tea, P, "20000.00")
    actions.set_plan_item(officer, 2024, road, C, "80000.00")
    for project, source, day, amount in (
        (tea, C, D(2024, 4, 10), "20000.00"),
        (tea, C, D(2024, 4, 30), "10000.01"),  # on the April checkpoint itself
        (tea, C, D(2024, 7, 15), "30000.00"),
        (tea, P, D(2024, 6, 1), "5000.50"),
        (road, C, D(2024, 5, 20), "44000.00"),
        (road, C, D(2024, 9, 30), "16000.00"),  # after as_of below: not counted
    ):
        actions.record_disbursement(officer, project, 2024, source, day, amount, f"V{day}{amount}")
    return tea, road, unplanned


AS_OF = D(2024, 8, 31)


def figures(rows):
    return [
        (
            r.key,
            r.label,
            r.planned,
            r.paid,
            r.percent,
            [(cp.date, by, pct, met) for cp, by, pct, met in r.at_checkpoints],
        )
        for r in rows
    ]


def test_it_sums_progress_per_source(cast, paid_projects):
    rows = checks.progress_rows(2024, Project.objects.all(), "source", AS_OF)
    assert figures(rows) == [
        (
            "central",
            "中央衔接资金",
            Decimal("180000.00"),
            Decimal("104000.01"),
            Decimal("57.77"),
            [
                (D(2024, 4, 30), Decimal("30000.01"), Decimal("16.66"), False),
                (D(2024, 6, 30), Decimal("74000.01"), Decimal("41.11"), False),
                (D(2024, 9, 30), Decimal("104000.01"), Decimal("57.77"), None),
            ],
        ),
        (
            "provincial",
            "省级衔接资金",
            Decimal("20000.00"),
            Decimal("5000.50"),
            Decimal("25.00"),
            [
                (D(2024, 4, 30), Decimal("0.00"), Decimal("0.00"), False),
                (D(2024, 6, 30), Decimal("5000.50"), Decimal("25.00"), False),
                (D(2024, 9, 30), Decimal("5000.50"), Decimal("25.00"), None),
            ],
        ),
    ]


def test_it_sums_progress_per_township_and_project(cast, paid_projects):
    tea, road, _ = paid_projects
    townships = checks.progress_rows(2024, Project.objects.all(), "township", AS_OF)
    assert [(r.key, r.label, r.planned, r.paid) for r in townships] == [
        ("420704100", "泽林镇", Decimal("120000.00"), Decimal("65000.51")),
        ("420704101", "杜山镇", Decimal("80000.00"), Decimal("44000.00")),
    ]
    assert [met for _, _, _, met in townships[1].at_checkpoints] == [False, True, None]  # 55.00% ≥ 55%
    projects = checks.progress_rows(2024, Project.objects.all(), "project", AS_OF)
    assert [(r.key, r.label, r.planned, r.paid, r.percent) for r in projects] == [
        (tea.code, "新港村茶园提质", Decimal("120000.00"), Decimal("65000.51"), Decimal("54.16")),
        (road.code, "杜山村产业路", Decimal("80000.00"), Decimal("44000.00"), Decimal("55.00")),
    ]


def test_it_keeps_to_the_given_projects(cast, paid_projects):
    tea, _, unplanned = paid_projects
    rows = checks.progress_rows(2024, [tea, unplanned], "project", AS_OF)
    assert [(r.key, r.paid) for r in rows] == [(tea.code, Decimal("65000.51"))]
    assert checks.progress_rows(2025, Project.objects.all(), "source", AS_OF) == []
