"""Which settings are in effect for a year.

    policy = policy_for(2024)
    policy["monitoring_line"]        # Decimal("8300.00")
    decision.policy_version = policy.version   # store the version used

A year with no settings of its own uses the latest earlier year's latest version (and says so); a
year before every configured year uses the earliest configured year's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from django.db.models import Case, F, IntegerField, Value, When

from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.parameters import defaults_for_year, parse_values


@dataclass(frozen=True)
class YearPolicy:
    year: int  # the year asked for
    source_year: int  # the year whose version is used (== year unless inherited)
    version: PolicyVersion  # the row in effect; decisions store its pk
    is_inherited: bool
    values: Mapping[str, Any]  # typed values of every parameter, read-only

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def label(self) -> str:
        """ "2024年第3版" """
        return self.version.label

    def describe(self) -> str:
        """ "2025年未单独设置，沿用2024年第3版", or just the label when the year has its own settings."""
        if self.is_inherited:
            return f"{self.year}年未单独设置，沿用{self.label}"
        return self.label


def typed_values(version: PolicyVersion) -> dict[str, Any]:
    """Typed values of a stored version; parameters added after it was saved read their defaults."""
    return parse_values(version.values, defaults_for_year(version.year))


def policy_for(year: int) -> YearPolicy:
    """The settings in effect for `year`, in one query.

    Raises `PolicyVersion.DoesNotExist` only when no year has settings at all (the seed migration
    ships 2021–2024, so that means the database was not migrated).
    """
    # Rows of years <= `year` first, latest year and version first; then later years, earliest first.
    is_later = Case(When(year__lte=year, then=Value(0)), default=Value(1), output_field=IntegerField())
    distance = Case(
        When(year__lte=year, then=Value(year) - F("year")), default=F("year"), output_field=IntegerField()
    )
    row = (
        PolicyVersion.objects.select_related("created_by")
        .alias(is_later=is_later, distance=distance)
        .order_by("is_later", "distance", "-version")
        .first()
    )
    if row is None:
        raise PolicyVersion.DoesNotExist("尚未设置任何年度的政策参数，请先执行数据库迁移（zhenxing migrate）")
    return YearPolicy(
        year=year,
        source_year=row.year,
        version=row,
        is_inherited=row.year != year,
        values=MappingProxyType(typed_values(row)),
    )


def policy_for_date(day: date) -> YearPolicy:
    """The settings in effect on a date: those of its calendar year."""
    return policy_for(day.year)
