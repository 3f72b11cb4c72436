"""Each household's latest income, copied onto the household (`Household.income_year`, `.income_per_capita`).

    keep_latest([household.pk, ...])   # after writing or correcting IncomeYear rows of these households

The copy lets the dashboards count a district's income distribution from the households alone (one pass,
no join of a million households with a million incomes). Every writer of `IncomeYear` calls `keep_latest`
in the same transaction: `actions.record_income` and the income import (`importing/commit.py`); the
migration that added the columns filled them, and `registry/tests/test_incomes.py` checks the copy against
the incomes after each writer.
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
