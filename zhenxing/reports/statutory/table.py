"""What a statutory report is: its columns (with how each is totalled), its rows, and the registry of all six.

A report's `table(area, as_of, full_ids)` returns a `Table`: the number of rows and an iterator over them
(each a list of cell values in column order, without the leading 序号 the workbook adds). Rows are built
with a few set-based queries and streamed, never one query per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zhenxing.areas.models import Area

# How a column is totalled in the 合计 row.
SUM = "sum"  # numbers added up
COUNT_YES = "count_yes"  # the number of rows saying 是

# What a column holds; money and percentages are written as numbers with two decimals.
TEXT = "text"
MONEY = "money"
INT = "int"
PERCENT = "percent"

YES, NO = "是", "否"


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 12
    kind: str = TEXT
    # SUM, COUNT_YES, or a function of the column sums ({header: sum}) for a derived total (a share).
    total: str | Callable[[dict[str, Decimal]], Any] | None = None
    wrap: bool = False  # long text: wrapped within the column width when printed


@dataclass
class Table:
    count: int
    rows: Iterator[list]


@dataclass(frozen=True)
class Report:
    name: str  # the slug in URLs and on the command line
    title: str  # 监测对象台账 …
    unit: str  # what a row counts in the 合计 row: 户, 项, 条, 个
    description: str  # one sentence for the index page
    columns: Callable[[datetime.date], list[Column]]
    table: Callable[[Area, datetime.date, bool], Table]
    has_id_numbers: bool = False  # only these reports offer full ID numbers


REPORTS: dict[str, Report] = {}
# The order, which the index page and the command's help follow.
ORDER = ("monitored", "measures", "eliminations", "warnings", "disbursements", "assets")


def register(report: Report) -> Report:
    if report.name in REPORTS:
        raise ValueError(f"report {report.name!r} registered twice")
    REPORTS[report.name] = report
    return report


def all_reports() -> list[Report]:
    from zhenxing.reports.statutory import sources  # noqa: F401  registers the six reports

    return sorted(REPORTS.values(), key=lambda r: ORDER.index(r.name) if r.name in ORDER else len(ORDER))


def get_report(name: str) -> Report | None:
    all_reports()
    return REPORTS.get(name)


def yes_no(value: bool) -> str:
    return YES if value else NO


def day_text(day: datetime.date | None) -> str:
    """Dates as text `YYYY-MM-DD`, as the national system's exports write them."""
    return day.isoformat() if day else ""


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
