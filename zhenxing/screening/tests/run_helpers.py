"""Registry households and department feeds for the run, warning, colour and export tests, made through
the actions themselves: households with `registry.actions.register_household` (via the registry's test
helper), feed rows with `screening.actions.feeds.commit_feed` (as a district officer's API push).

Dates are fixed in 2025; runs that create warnings travel to `RUN_DAY` (a Tuesday), so a warning is
raised on 2025-04-01 and due 5 working days later: 2025-04-09 (清明 2025-04-04 to 04-06 is a holiday).
"""

import contextlib
import datetime

import time_machine

from zhenxing.registry.models import HEAD, HouseholdKind
from zhenxing.registry.tests.change_helpers import id_number, person, register
from zhenxing.screening import feeds
from zhenxing.screening.actions.feeds import commit_feed
from zhenxing.screening.models import FeedUpload
from zhenxing.screening.runs import run_screening

D = datetime.date
AS_OF = D(2025, 3, 31)
RUN_DAY = D(2025, 4, 1)
DUE = D(2025, 4, 9)


def lifted(cast, village, number="H001"):
    """A 脱贫户: 张三 (户主, n=1), 李四 (n=2), 张小明 (n=3)."""
    return register(cast["district_officer"], village, number, kind=HouseholdKind.LIFTED, lifted_year=2016)


def ordinary(cast, village, number="H002", first=4):
    """An 一般农户 of two: 王五 (户主, n=first) and 赵六 (n=first+1)."""
    members = [person(first, "王五", HEAD), person(first + 1, "赵六", "配偶", female=True)]
    return register(cast["district_officer"], village, number, members=members)


def medical(n: int, self_pay: str, day: str = "2025-02-10", female: bool = False) -> dict:
    return {
        "公民身份号码": id_number(n, female),
        "结算日期": day,
        "就诊类型": "住院",
        "医疗总费用": "50000.00",
        "个人自付": self_pay,
    }


def vehicle(n: int, kind: str = "小型轿车", female: bool = False) -> dict:
    return {
        "公民身份号码": id_number(n, female),
        "号牌号码": "鄂G12345",
        "车辆类型": kind,
        "登记日期": "2024-05-01",
    }


def push(cast, kind: str, records: list[dict]) -> FeedUpload:
    """Store the rows as one upload (the screening run it enqueues is left queued)."""
    plan = feeds.validate_records(kind, records)
    assert not plan.errors, plan.errors
    return commit_feed(cast["district_officer"], kind, plan, source=FeedUpload.Source.API, period="2025")


def run(cast, as_of=AS_OF, day=RUN_DAY, actor="district_officer", **kwargs):
    """A run as of `as_of`, made on `day` (09:00 in Ezhou)."""
    with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 9, 0, tzinfo=_TZ), tick=False):
        return run_screening(cast[actor] if actor else None, as_of=as_of, **kwargs)


_TZ = datetime.timezone(datetime.timedelta(hours=8))


def counts() -> dict:
    from zhenxing.audit.models import AuditEntry
    from zhenxing.cases.models import Discrepancy, Lead
    from zhenxing.jobs.models import Job
    from zhenxing.screening.models import ScreeningRun, Warning

    models = (AuditEntry, Discrepancy, Lead, Job, ScreeningRun, Warning)
    return {m.__name__: m.objects.count() for m in models}


def state(warning) -> dict:
    from django.forms.models import model_to_dict

    from zhenxing.screening.models import Warning

    return model_to_dict(Warning.objects.get(pk=warning.pk))


@contextlib.contextmanager
def refused(message: str, warning=None, error=None):
    """The block is refused with exactly `message` and writes nothing (no row, no audit row)."""
    import pytest
    from django.core.exceptions import ValidationError

    before, fields = counts(), state(warning) if warning else None
    with pytest.raises(error or ValidationError) as excinfo:
        yield excinfo
    assert getattr(excinfo.value, "messages", [str(excinfo.value)]) == [message]
    assert counts() == before
    if warning is not None:
        assert state(warning) == fields


def committed_elsewhere_first(function, change):
    """`function` wrapped so that, before it runs, `change()` is committed by another connection (a thread of
    its own): a write that lands while a snapshot is being read."""
    import threading

    from django.db import connection

    def elsewhere():
        try:
            change()
        finally:
            connection.close()

    def wrapped(*args):
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
        return function(*args)

    return wrapped
