"""监测人口 on any day: today's member counts kept on each case (`Case.household_members`), corrected for an
earlier day by the memberships that changed since (`figures._members_changed_since`)."""

import datetime

import pytest
import time_machine

from zhenxing.cases.models import Case, CaseEvent, CaseStatus, MonitoringType, Procedure, RiskType, Step
from zhenxing.registry import actions
from zhenxing.registry.models import Membership, Person
from zhenxing.registry.tests.change_helpers import D, person, register
from zhenxing.reports.dashboards import figures

pytestmark = pytest.mark.django_db
TODAY = D(2025, 3, 1)


def monitored_case(household, number, announced, status=CaseStatus.MONITORED, **fields) -> Case:
    return Case.objects.create(
        number=number,
        household=household,
        area=household.area,
        status=status,
        is_open=status == CaseStatus.MONITORED,
        procedure=Procedure.IDENTIFICATION,
        stage=Step.DONE,
        stage_since=announced,
        monitoring_type=MonitoringType.MARGINAL,
        main_risk=RiskType.ILLNESS,
        identified_on=announced,
        announced_on=announced,
        opened_on=announced - datetime.timedelta(days=20),
        **fields,
    )


@pytest.fixture
def home(cast, village):
    """张三's household (3 members from 2024-01-01), monitored from 2024-03-01 (an earlier case was eliminated
    in 2024-02); a birth on 2024-06-01, a death on 2024-09-01, a daughter back on 2024-10-01. Today is
    2025-03-01."""
    with time_machine.travel(datetime.datetime(2025, 3, 1, 2, tzinfo=datetime.UTC), tick=False):
        cadre = cast["village_cadre"]
        household = register(cadre, village)
        old = monitored_case(household, "OLD", D(2024, 1, 10), status=CaseStatus.ELIMINATED)
        CaseEvent.objects.create(
            case=old,
            household=household,
            area=household.area,
            kind="eliminated",
            effective_date=D(2024, 2, 1),
        )
        monitored_case(household, "NOW", D(2024, 3, 1))
        assert list(Case.objects.order_by("number").values_list("household_members", flat=True)) == [3, 3]
        actions.add_member(
            cadre, household, person(9, "张小宝", "之子", born=D(2024, 6, 1)), "birth", D(2024, 6, 1)
        )
        son = Person.objects.get(name="张小明")
        actions.remove_member(cadre, household, son, Membership.EndReason.DEATH, D(2024, 9, 1))
        actions.add_member(
            cadre, household, person(8, "李五", "之女", female=True), "marriage_in", D(2024, 10, 1)
        )
        yield household


def members_on(user, day) -> tuple[int, int]:
    data = figures.monitoring(figures.Frame(user=user, area=user.area, as_of=day, today=TODAY))
    return data["households"]["value"], data["members"]["value"]


def test_every_case_of_the_household_keeps_its_current_member_count(home):
    assert list(Case.objects.order_by("number").values_list("number", "household_members")) == [
        ("NOW", 4),
        ("OLD", 4),
    ]
    assert home.member_count == 4


def test_the_members_on_an_earlier_day_are_those_in_the_household_that_day(cast, home):
    officer = cast["district_officer"]
    with time_machine.travel(datetime.datetime(2025, 3, 1, 2, tzinfo=datetime.UTC), tick=False):
        assert members_on(officer, D(2024, 2, 29)) == (
            0,
            0,
        )  # not monitored yet (the old case was eliminated)
        assert members_on(officer, D(2024, 3, 1)) == (1, 3)
        assert members_on(officer, D(2024, 5, 31)) == (1, 3)
        assert members_on(officer, D(2024, 6, 1)) == (1, 4)  # the birth
        assert members_on(officer, D(2024, 8, 31)) == (1, 4)
        assert members_on(officer, D(2024, 9, 1)) == (1, 3)  # the death
        assert members_on(officer, D(2024, 10, 1)) == (1, 4)  # the marriage
        assert members_on(officer, D(2025, 2, 28)) == (1, 4)
        assert members_on(officer, TODAY) == (1, 4)


def test_a_case_is_eliminated_on_a_day_when_its_latest_exit_by_then_is_an_elimination(cast, village):
    """`cases.queries.eliminated_cases_on`: eliminated 2024-05-01, rolled back 2024-06-01, eliminated again
    2024-07-01; on 2024-08-01 a rollback and then (recorded later) an elimination on the same day."""
    from zhenxing.cases.queries import eliminated_cases_on

    household = register(cast["village_cadre"], village)
    case = monitored_case(household, "C1", D(2024, 3, 1), status=CaseStatus.ELIMINATED)
    for kind, day in [
        ("eliminated", D(2024, 5, 1)),
        ("rolled_back", D(2024, 6, 1)),
        ("eliminated", D(2024, 7, 1)),
        ("rolled_back", D(2024, 8, 1)),
        ("eliminated", D(2024, 8, 1)),
    ]:
        CaseEvent.objects.create(
            case=case, household=household, area=household.area, kind=kind, effective_date=day
        )
    gone = {day: case.pk in set(eliminated_cases_on(day).values_list("case_id", flat=True)) for day in [
        D(2024, 4, 30), D(2024, 5, 1), D(2024, 5, 31), D(2024, 6, 1), D(2024, 6, 30), D(2024, 7, 1), D(2024, 8, 1)
    ]}  # fmt: skip
    assert gone == {
        D(2024, 4, 30): False,
        D(2024, 5, 1): True,
        D(2024, 5, 31): True,
        D(2024, 6, 1): False,
        D(2024, 6, 30): False,
        D(2024, 7, 1): True,
        D(2024, 8, 1): True,  # the same day's elimination was recorded after the rollback
    }
    CaseEvent.objects.create(
        case=case, household=household, area=household.area, kind="rolled_back", effective_date=D(2024, 8, 1)
    )
    assert not eliminated_cases_on(D(2024, 8, 1)).filter(case_id=case.pk).exists()
