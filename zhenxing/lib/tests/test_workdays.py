import datetime

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from zhenxing.lib import workdays

D = datetime.date
hypothesis_settings = hsettings(database=None, max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # 2024 Spring Festival: 2024-02-10..17 off, Sunday 02-04 and Sunday 02-18 worked
        (D(2024, 2, 4), True),
        (D(2024, 2, 9), True),
        (D(2024, 2, 10), False),
        (D(2024, 2, 12), False),
        (D(2024, 2, 17), False),
        (D(2024, 2, 18), True),
        # 2024 National Day: 10-01..07 off, Sunday 09-29 and Saturday 10-12 worked
        (D(2024, 9, 29), True),
        (D(2024, 9, 30), True),
        (D(2024, 10, 1), False),
        (D(2024, 10, 7), False),
        (D(2024, 10, 8), True),
        (D(2024, 10, 12), True),
        (D(2024, 10, 13), False),
        # 2025 Spring Festival: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked
        (D(2025, 1, 25), False),
        (D(2025, 1, 26), True),
        (D(2025, 1, 27), True),
        (D(2025, 1, 28), False),
        (D(2025, 1, 31), False),
        (D(2025, 2, 3), False),
        (D(2025, 2, 4), False),
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),
        (D(2025, 2, 9), False),
        # 2025 National Day + Mid-Autumn: 10-01..08 off, Sunday 09-28 and Saturday 10-11 worked
        (D(2025, 9, 28), True),
        (D(2025, 10, 8), False),
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),
        # ordinary days
        (D(2025, 3, 3), True),
        (D(2025, 3, 8), False),
        (D(2025, 3, 9), False),
    ],
)
def test_is_working_day_official_calendar(day, expected):
    assert workdays.covers(day) is True
    assert workdays.is_working_day(day) is expected


def test_fallback_for_uncovered_year():
    assert workdays.covers(D(2099, 1, 1)) is False
    # 2099-01-01 is a Thursday: no holiday data, so Monday–Friday rule applies
    assert workdays.is_working_day(D(2099, 1, 1)) is True
    assert workdays.is_working_day(D(2099, 1, 2)) is True
    assert workdays.is_working_day(D(2099, 1, 3)) is False
    assert workdays.is_working_day(D(2099, 1, 4)) is False
    assert workdays.is_working_day(D(2099, 1, 5)) is True
    assert workdays.covers(D(1999, 10, 1)) is False
    assert workdays.is_working_day(D(1999, 10, 1)) is True  # Friday


def test_add_working_days_examples():
    assert workdays.add_working_days(D(2024, 9, 30), 0) == D(2024, 9, 30)
    assert workdays.add_working_days(D(2024, 10, 3), 0) == D(2024, 10, 3)
    assert workdays.add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 8)
    assert workdays.add_working_days(D(2024, 9, 27), 1) == D(2024, 9, 29)
    # 10-08 Tue .. 10-11 Fri, 10-12 Sat (worked) is the 5th
    assert workdays.add_working_days(D(2024, 9, 30), 5) == D(2024, 10, 12)
    assert workdays.add_working_days(D(2024, 9, 30), 6) == D(2024, 10, 14)
    assert workdays.add_working_days(D(2025, 1, 27), 1) == D(2025, 2, 5)
    assert workdays.add_working_days(D(2025, 1, 24), 1) == D(2025, 1, 26)
    # 02-05 Wed, 06 Thu, 07 Fri, 08 Sat (worked), 10 Mon
    assert workdays.add_working_days(D(2025, 1, 27), 4) == D(2025, 2, 8)
    assert workdays.add_working_days(D(2025, 1, 27), 5) == D(2025, 2, 10)
    # fallback year: 2099-01-02 is a Friday
    assert workdays.add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 5)
    assert workdays.add_working_days(D(2099, 1, 3), 5) == D(2099, 1, 9)


def test_add_working_days_crosses_into_uncovered_year():
    # The last covered year grows with chinese_calendar releases, so find it instead of hard-coding it.
    assert workdays.covers(D(2025, 1, 1)) is True
    last_year = max(y for y in range(2025, 2099) if workdays.covers(D(y, 1, 1)))
    last = D(last_year, 12, 31)
    assert workdays.covers(last) is True
    assert workdays.covers(D(last_year + 1, 1, 1)) is False
    # without official data the next year's first Monday–Friday day is a working day
    expected = D(last_year + 1, 1, 1)
    while expected.weekday() >= 5:
        expected += datetime.timedelta(days=1)
    assert workdays.add_working_days(last, 1) == expected
    assert workdays.working_days_between(last, expected) == 1


def test_add_working_days_rejects_negative():
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2025, 1, 1), -1)


def test_working_days_between_examples():
    assert workdays.working_days_between(D(2024, 9, 30), D(2024, 9, 30)) == 0
    assert workdays.working_days_between(D(2024, 10, 8), D(2024, 9, 30)) == 0
    assert workdays.working_days_between(D(2024, 9, 30), D(2024, 10, 7)) == 0
    assert workdays.working_days_between(D(2024, 9, 30), D(2024, 10, 8)) == 1
    assert workdays.working_days_between(D(2024, 9, 30), D(2024, 10, 12)) == 5
    assert workdays.working_days_between(D(2025, 1, 24), D(2025, 2, 9)) == 6
    # start is not counted, end is
    assert workdays.working_days_between(D(2025, 3, 3), D(2025, 3, 4)) == 1
    assert workdays.working_days_between(D(2099, 1, 2), D(2099, 1, 9)) == 5


def test_working_days_in_2025():
    # 261 weekdays - 18 weekday holidays + 5 worked weekend days (01-26, 02-08, 04-27, 09-28, 10-11)
    assert workdays.working_days_between(D(2024, 12, 31), D(2025, 12, 31)) == 248


@hypothesis_settings
@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)), st.integers(min_value=0, max_value=60))
def test_add_and_between_are_consistent(start, n):
    end = workdays.add_working_days(start, n)
    assert workdays.working_days_between(start, end) == n
    if n > 0:
        assert workdays.is_working_day(end)
        assert workdays.working_days_between(start, end - datetime.timedelta(days=1)) == n - 1
