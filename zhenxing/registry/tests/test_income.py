"""The yearly income ledger: computed net and per-capita income, household size per year, the bands
against each year's monitoring line (at the boundaries), and corrections with history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from zhenxing.audit.models import AuditEntry
from zhenxing.registry import actions
from zhenxing.registry.history import incomes_on
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    IncomeBand,
    IncomeYear,
    Person,
    income_band,
)
from zhenxing.registry.queries import HouseholdFilter, Lines, filter_households, income_rows
from zhenxing.registry.tests.change_helpers import D, person, register

pytestmark = pytest.mark.django_db
LINE_2024 = Decimal("8300.00")


def amounts(wage="0", business="0", property="0", transfer="0", costs="0", **extra) -> dict:
    return {
        "wage_income": Decimal(wage),
        "business_income": Decimal(business),
        "property_income": Decimal(property),
        "transfer_income": Decimal(transfer),
        "production_costs": Decimal(costs),
        **extra,
    }


@pytest.fixture
def cadre(cast):
    return cast["village_cadre"]


def single(cadre, village, number, n):
    return register(cadre, village, number, [person(n, f"户主{n}", HEAD)], day=D(2023, 6, 1))


def test_it_computes_net_and_per_capita_income(cadre, village):
    household = register(cadre, village, day=D(2023, 6, 1))  # three members
    income = actions.record_income(
        cadre,
        household,
        2024,
        amounts("20000", "6000.50", "300", "1200", "2500", claims_income=Decimal("800")),
    )
    assert (income.household_size, income.net_income, income.net_income_per_capita) == (
        3,
        Decimal("25000.50"),
        Decimal("8333.50"),
    )
    assert (income.claims_income, income.compliant_out_of_pocket, income.recorded_by) == (
        Decimal("800.00"),
        None,
        cadre,
    )
    event = household.events.order_by("-id").first()
    assert (event.kind, event.effective_date, event.reason) == (
        "income_recorded",
        timezone.localdate(),
        "2024年度收入",
    )
    assert event.data["year"] == 2024
    assert event.data["before"] is None
    assert event.data["after"] == {
        "wage_income": "20000.00",
        "business_income": "6000.50",
        "property_income": "300.00",
        "transfer_income": "1200.00",
        "production_costs": "2500.00",
        "claims_income": "800.00",
        "compliant_out_of_pocket": None,
        "household_size": "3",
        "net_income": "25000.50",
        "net_income_per_capita": "8333.50",
    }
    assert AuditEntry.objects.order_by("-id").first().action == "household_income_recorded"


def test_it_rounds_per_capita_income_to_the_fen(cadre, village):
    household = register(cadre, village, day=D(2023, 6, 1))
    income = actions.record_income(cadre, household, 2024, amounts("10000"))
    assert income.net_income_per_capita == Decimal("3333.33")


@pytest.mark.parametrize(
    ("wage", "band"),
    [
        ("8299.99", IncomeBand.BELOW),  # one fen below the line
        ("8300.00", IncomeBand.NEAR),  # exactly the line
        ("12449.99", IncomeBand.NEAR),  # one fen below 1.5×
        ("12450.00", IncomeBand.ABOVE),  # exactly 1.5×
    ],
)
def test_it_bands_per_capita_income_at_the_boundaries(cadre, village, wage, band):
    household = single(cadre, village, "H001", 1)
    income = actions.record_income(cadre, household, 2024, amounts(wage))
    assert income.net_income_per_capita == Decimal(wage)
    assert income_band(income.net_income_per_capita, LINE_2024) == band
    assert income_rows([income])[0].band == band
    f = HouseholdFilter(band=band, year=2024)
    assert list(filter_households(Household.objects.all(), f)) == [household]


def test_it_filters_bands_in_sql_against_each_years_line(cadre, village):
    below = single(cadre, village, "H001", 1)
    at_line = single(cadre, village, "H002", 2)
    at_multiple = single(cadre, village, "H003", 3)
    for household, wage in ((below, "8299.99"), (at_line, "8300.00"), (at_multiple, "12450.00")):
        actions.record_income(cadre, household, 2024, amounts(wage))
    # 2023's line is 7600: 8299.99 is near it there.
    actions.record_income(cadre, below, 2023, amounts("8299.99"))

    def numbers(band, year):
        return sorted(
            filter_households(Household.objects.all(), HouseholdFilter(band=band, year=year)).values_list(
                "number", flat=True
            )
        )

    assert numbers("below", 2024) == ["H001"]
    assert numbers("near", 2024) == ["H002"]
    assert numbers("above", 2024) == ["H003"]
    assert numbers("below", 2023) == []
    assert numbers("near", 2023) == ["H001"]


def test_it_takes_household_size_from_membership_in_that_year(cadre, village):
    household = register(
        cadre,
        village,
        "H001",
        [person(1, "王一", HEAD), person(2, "王妻", "配偶", female=True)],
        day=D(2022, 6, 1),
    )
    actions.add_member(
        cadre, household, person(3, "王宝", "之子", born=D(2023, 3, 1)), "birth", D(2023, 3, 1)
    )
    actions.remove_member(cadre, household, Person.objects.get(name="王妻"), "death", D(2024, 12, 31))
    sizes = {
        year: actions.record_income(cadre, household, year, amounts("6000")).household_size
        for year in (2022, 2023, 2024)
    }
    # On 31 December 2024 the wife's membership has ended (it ends on the effective date).
    assert sizes == {2022: 2, 2023: 3, 2024: 2}
    assert IncomeYear.objects.get(household=household, year=2023).net_income_per_capita == Decimal("2000.00")


def test_it_refuses_a_year_without_members_and_an_unchanged_record(cadre, village):
    household = register(cadre, village, day=D(2024, 1, 1))
    before = (IncomeYear.objects.count(), HouseholdEvent.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as e:
        actions.record_income(cadre, household, 2023, amounts("6000"))
    assert e.value.messages == ["户 H001 在2023年没有在册成员，不能登记该年度收入，请核对年度"]
    actions.record_income(cadre, household, 2024, amounts("6000"))
    after_first = (IncomeYear.objects.count(), HouseholdEvent.objects.count(), AuditEntry.objects.count())
    assert after_first == (before[0] + 1, before[1] + 1, before[2] + 1)
    with pytest.raises(ValidationError) as e:
        actions.record_income(cadre, household, 2024, amounts("6000.00"))
    assert e.value.messages == ["收入数据没有变化"]
    assert (
        IncomeYear.objects.count(),
        HouseholdEvent.objects.count(),
        AuditEntry.objects.count(),
    ) == after_first


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"wage_income": Decimal("-1")}, "工资性收入不能为负数，请核对"),
        ({"wage_income": Decimal("1.005")}, "工资性收入最多两位小数（精确到分），请核对"),
        ({"wage_income": None}, "请填写工资性收入（没有请填0）"),
        ({"wage_income": "abc"}, "工资性收入“abc”不是数字，请只填写金额，如 1234.50"),
        (
            {"transfer_income": Decimal("100"), "transfer_items": {"低保金": "60"}},
            "转移性收入明细合计 60.00 元，与转移性收入 100.00 元不一致，请核对",
        ),
    ],
)
def test_it_refuses_bad_amounts(cadre, village, values, message):
    household = register(cadre, village, day=D(2023, 6, 1))
    with pytest.raises(ValidationError) as e:
        actions.record_income(cadre, household, 2024, {**amounts("100"), **values})
    assert e.value.messages == [message]
    assert IncomeYear.objects.count() == 0


def test_it_keeps_each_years_figures_as_recorded_on_a_day(cadre, village):
    household = register(cadre, village, day=D(2023, 6, 1))
    actions.record_income(cadre, household, 2024, amounts("9000"))
    corrected = actions.record_income(cadre, household, 2024, amounts("12000"))
    assert corrected.net_income_per_capita == Decimal("4000.00")
    event = household.events.order_by("-id").first()
    assert (event.data["before"]["net_income_per_capita"], event.data["after"]["net_income_per_capita"]) == (
        "3000.00",
        "4000.00",
    )
    today = timezone.localdate()
    assert incomes_on(household, today)[0]["net_income_per_capita"] == "4000.00"
    assert incomes_on(household, today - datetime.timedelta(days=1)) == []
    # The stored events replay in order: the first record then the correction, both dated today.
    assert [
        e.data["after"]["wage_income"] for e in household.events.filter(kind="income_recorded").order_by("id")
    ] == [
        "9000.00",
        "12000.00",
    ]


def test_it_labels_each_year_with_its_line_and_policy_version(cadre, village):
    household = register(cadre, village, day=D(2020, 6, 1))
    for year in (2021, 2024):
        actions.record_income(cadre, household, year, amounts("21000"))
    rows = income_rows(list(IncomeYear.objects.filter(household=household)), Lines())
    assert [(r.year, r.net_income_per_capita, r.line, r.band, r.band_label) for r in rows] == [
        (2021, Decimal("7000.00"), Decimal("6000.00"), "near", "监测范围1.5倍以内"),
        (2024, Decimal("7000.00"), Decimal("8300.00"), "below", "低于监测范围"),
    ]
    assert rows[0].policy_label.startswith("2021年")
