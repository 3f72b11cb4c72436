"""Copies between households and their incomes that let the dashboards count a district's income
distribution without joining a million households with a million incomes.

    keep_latest([household.pk, ...])     # after writing or correcting IncomeYear rows of these households
    keep_household([household.pk, ...])  # after a household's kind, village or activity changed

- `Household.income_year` / `.income_per_capita`: the household's latest income (the latest year's
  distribution reads the households alone, in the same pass as the risk colours);
- `IncomeYear.household_kind` / `.household_area` / `.household_active`: the household as it is now (an
  earlier year's distribution reads that year's incomes alone, from one index).

Every writer of incomes keeps both in the same transaction (`actions.record_income`; the income import in
`importing/commit.py`, which sets a new income's household fields before inserting it), and
`actions.record_event` — which every change of a household ends with — calls `keep_household`; the migrations that added the columns filled them. `registry/tests/test_latest_income.py`
checks the copies after each writer.
"""

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from zhenxing.registry.models import Household, IncomeYear

CHUNK = 500  # ids per UPDATE: well under SQLite's limit of bound variables


def keep_latest(household_ids: Iterable[int]) -> None:
    """Copy the latest IncomeYear (highest year) of each household onto it; None where it has none."""
    latest = IncomeYear.objects.filter(household=OuterRef("pk")).order_by("-year")
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), CHUNK):
        Household.objects.filter(pk__in=ids[start : start + CHUNK]).update(
            income_year=Subquery(latest.values("year")[:1]),
            income_per_capita=Subquery(latest.values("net_income_per_capita")[:1]),
        )


def keep_household(household_ids: Iterable[int]) -> None:
    """Copy each household's kind, village and activity as they are now onto its incomes."""
    household = Household.objects.filter(pk=OuterRef("household_id"))
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), CHUNK):
        IncomeYear.objects.filter(household_id__in=ids[start : start + CHUNK]).update(
            household_kind=Subquery(household.values("kind")[:1]),
            household_area=Subquery(household.values("area_id")[:1]),
            household_active=Subquery(household.values("is_active")[:1]),
        )


def stale() -> list[tuple[str, int]]:
    """("household", pk) / ("income", pk) of every copy that differs from its source — empty when they are
    kept; the test suite checks it after every test."""
    latest = IncomeYear.objects.filter(household=OuterRef("pk")).order_by("-year")
    households = Household.objects.annotate(
        year=Subquery(latest.values("year")[:1]),
        per_capita=Subquery(latest.values("net_income_per_capita")[:1]),
    ).values_list("pk", "income_year", "income_per_capita", "year", "per_capita")
    wrong = [("household", pk) for pk, *copy, y, pc in households if tuple(copy) != (y, pc)]
    incomes = IncomeYear.objects.values_list(
        "pk", "household_kind", "household_area", "household_active",
        "household__kind", "household__area", "household__is_active",
    )  # fmt: skip
    return wrong + [("income", row[0]) for row in incomes if row[1:4] != row[4:7]]
