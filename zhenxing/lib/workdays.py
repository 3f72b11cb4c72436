"""Working days according to the official Chinese holiday calendar (国务院办公厅节假日安排).

Uses the ``chinese_calendar`` package: official holidays are not working days, and the
weekend days officially swapped into working days (调休上班) are.  The package only knows
the years the State Council has already published; for other years :func:`is_working_day`
falls back to Monday–Friday and :func:`covers` returns ``False`` so the UI can say that a
deadline is an estimate.

Counting convention: the start date is never counted, the end date is.
``working_days_between(s, add_working_days(s, n)) == n`` for every ``n >= 0``.
"""

from __future__ import annotations

import datetime

import chinese_calendar

__all__ = ["add_working_days", "covers", "is_working_day", "working_days_between"]

_ONE_DAY = datetime.timedelta(days=1)


def covers(d: datetime.date) -> bool:
    """Whether the official calendar data covers the year of ``d``."""
    try:
        chinese_calendar.is_workday(d)
    except NotImplementedError:
        return False
    return True


def is_working_day(d: datetime.date) -> bool:
    """Whether ``d`` is a working day.

    Official holidays are not; officially adjusted weekend working days (调休) are.
    For years the official calendar does not cover, Monday–Friday are working days.
    """
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """Return the date that is ``n`` working days after ``start``.

    ``start`` itself is not counted, so the result is the n-th working day after ``start``;
    ``n == 0`` returns ``start`` unchanged (even if it is not a working day).
    Raises ``ValueError`` if ``n`` is negative.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    d = start
    remaining = n
    while remaining:
        d += _ONE_DAY
        if is_working_day(d):
            remaining -= 1
    return d


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Number of working days ``d`` with ``start < d <= end``; ``0`` if ``end <= start``."""
    count = 0
    d = start
    while d < end:
        d += _ONE_DAY
        if is_working_day(d):
            count += 1
    return count
