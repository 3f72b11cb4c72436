"""The copies between households and incomes (`registry.incomes`): the household's latest income
(`Household.income_year` / `.income_per_capita`) and each income's household as it is now
(`IncomeYear.household_kind` / `_area` / `_active`), kept by every writer and filled by the migrations."""

import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhenxing.registry import actions, importing
from zhenxing.registry.models import HEAD, Household, IncomeYear, Membership
from zhenxing.registry.tests.change_helpers import D, person, register, second_village
from zhenxing.registry.tests.import_helpers import OTHER_HEAD, csv_file, family, income, member

pytestmark = pytest.mark.django_db


def amounts(wage: str) -> dict:
    return {
        "wage_income": Decimal(wage),
        "business_income": Decimal("0"),
        "property_income": Decimal("0"),
        "transfer_income": Decimal("0"),
        "production_costs": Decimal("0"),
    }


def latest(household) -> tuple:
    return tuple(Household.objects.filter(pk=household.pk).values_list("income_year", "income_per_capita")[0])


def test_recording_incomes_keeps_the_latest_year_on_the_household(cast, village):
    cadre = cast["village_cadre"]
    household = register(cadre, village, "H001", [person(1, "户主", HEAD)], day=D(2022, 6, 1))
    other = register(cadre, village, "H002", [person(2, "户主二", HEAD)], day=D(2022, 6, 1))
    assert latest(household) == (None, None)

    actions.record_income(cadre, household, 2024, amounts("9000"))
    assert latest(household) == (2024, Decimal("9000.00"))
    actions.record_income(cadre, household, 2023, amounts("7000"))  # an earlier year: the latest stays
    assert latest(household) == (2024, Decimal("9000.00"))
    actions.record_income(cadre, household, 2024, amounts("8200.5"))  # a correction of the latest
    assert latest(household) == (2024, Decimal("8200.50"))
    with pytest.raises(ValidationError):
        actions.record_income(cadre, household, 2024, amounts("8200.50"))  # unchanged: refused
    assert latest(household) == (2024, Decimal("8200.50"))
    assert latest(other) == (None, None)


def test_the_income_import_keeps_the_latest_year_on_created_and_updated_households(cast, county, village):
    admin = cast["district_admin"]
    plan = importing.validate_households(
        csv_file([*family("H001"), member("H002", OTHER_HEAD, name="王五")]), "户籍.csv", county
    )
    assert plan.errors == []
    importing.commit_households(admin, plan)
    h1, h2 = Household.objects.get(number="H001"), Household.objects.get(number="H002")

    rows = [income("H001", 2024, 人均纯收入="8166.67"), income("H001", 2023), income("H002", 2023)]
    importing.commit_income(admin, importing.validate_income(csv_file(rows), "收入.csv", county))
    assert (latest(h1), latest(h2)) == ((2024, Decimal("8166.67")), (2023, Decimal("24500.00")))

    rows = [income("H001", 2024, 工资性收入="23000"), income("H002", 2023)]
    result = importing.commit_income(admin, importing.validate_income(csv_file(rows), "收入.csv", county))
    assert (result["updated"], result["unchanged"]) == (1, 1)
    assert (latest(h1), latest(h2)) == ((2024, Decimal("9166.67")), (2023, Decimal("24500.00")))


def test_the_migration_fills_the_latest_income_of_every_household(cast, village):
    cadre = cast["village_cadre"]
    household = register(cadre, village, "H001", [person(1, "户主", HEAD)], day=D(2022, 6, 1))
    empty = register(cadre, village, "H002", [person(2, "户主二", HEAD)], day=D(2022, 6, 1))
    actions.record_income(cadre, household, 2023, amounts("7000"))
    actions.record_income(cadre, household, 2024, amounts("9000"))
    Household.objects.update(income_year=None, income_per_capita=None)
    migration = importlib.import_module("zhenxing.registry.migrations.0006_household_income_and_colour")
    migration.fill_latest(None, None)
    assert (latest(household), latest(empty)) == ((2024, Decimal("9000.00")), (None, None))


def test_the_migration_copies_each_household_onto_its_incomes(cast, village):
    cadre = cast["village_cadre"]
    household = register(cadre, village, "H001", [person(1, "户主", HEAD)], day=D(2022, 6, 1))
    actions.record_income(cadre, household, 2023, amounts("7000"))
    actions.record_income(cadre, household, 2024, amounts("9000"))
    IncomeYear.objects.update(household_kind="", household_area=None, household_active=False)
    migration = importlib.import_module("zhenxing.registry.migrations.0007_income_household_copies")
    migration.fill_copies(None, None)
    assert copies(household) == [(2023, "ordinary", village.pk, True), (2024, "ordinary", village.pk, True)]


def copies(household) -> list[tuple]:
    return list(
        IncomeYear.objects.filter(household=household)
        .order_by("year")
        .values_list("year", "household_kind", "household_area", "household_active")
    )


def test_incomes_keep_their_household_as_it_is_now_through_edits_moves_and_closing(cast, village, township):
    cadre = cast["village_cadre"]
    officer = cast["township_officer"]
    household = register(cadre, village, "H001", [person(1, "户主", HEAD)], day=D(2022, 6, 1))
    actions.record_income(cadre, household, 2023, amounts("7000"))
    actions.record_income(cadre, household, 2024, amounts("9000"))
    assert copies(household) == [(2023, "ordinary", village.pk, True), (2024, "ordinary", village.pk, True)]

    actions.edit_household(
        cadre,
        household,
        kind="lifted",
        lifted_year=2016,
        lifted_attribute="一般脱贫户",
        effective_date=D(2024, 2, 1),
    )
    assert copies(household) == [(2023, "lifted", village.pk, True), (2024, "lifted", village.pk, True)]
    other = second_village(township)
    actions.move_household(officer, household, other, D(2024, 3, 1))
    assert copies(household) == [(2023, "lifted", other.pk, True), (2024, "lifted", other.pk, True)]
    head = Membership.objects.get(household=household).person
    actions.remove_member(officer, household, head, Membership.EndReason.DEATH, D(2024, 4, 1))
    assert copies(household) == [(2023, "lifted", other.pk, False), (2024, "lifted", other.pk, False)]
