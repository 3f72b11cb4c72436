"""The whole procedure through the actions: lead → identification → monitoring → elimination → rollback."""

import pytest

from zhenxing.cases import actions
from zhenxing.cases.models import CaseEvent, CaseStatus, Procedure, Step
from zhenxing.cases.tests.helpers import D, monitored, ready_for_elimination, secure_visit
from zhenxing.registry.models import Household, MonitoringStatus
from zhenxing.registry.tests.change_helpers import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(cast, village):
    return register(cast["village_cadre"], village)


def test_it_identifies_a_household_through_every_step(cast, household):
    case = monitored(cast, household)
    assert (case.status, case.stage, case.is_open) == (CaseStatus.MONITORED, Step.DONE, True)
    assert (case.identified_on, case.announced_on) == (D(2025, 3, 13), D(2025, 3, 14))
    assert str(case.assessed_per_capita) == "5300.00"
    assert (case.income_window_start, case.income_window_end) == (D(2024, 3, 1), D(2025, 2, 28))
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.MONITORED
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", "step"))
    assert kinds == [
        ("lead_recorded", ""),
        ("opened", ""),
        ("step_done", "consent"),
        ("step_done", "home_check"),
        ("step_done", "comparison"),
        ("step_done", "review"),
        ("step_done", "notice"),
        ("step_done", "township"),
        ("step_done", "county"),
        ("monitored", "announcement"),
    ]


def test_it_eliminates_and_rolls_back(cast, household):
    case = ready_for_elimination(cast, household)
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = actions.start_elimination(cadre, case, started_on=D(2025, 10, 13))
    assert (case.status, case.procedure, case.stage, case.round) == (
        CaseStatus.ELIMINATING,
        Procedure.ELIMINATION,
        Step.HOME_CHECK,
        1,
    )
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    from zhenxing.cases.tests.helpers import scan

    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=12,
        votes_for=12,
        votes_against=0,
        minutes=[scan(cadre, case.area)],
    )
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = actions.township_review(township, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    case = actions.county_decision(
        county, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
    )
    case = actions.announce(county, case, announced_on=D(2025, 10, 22))
    assert (case.status, case.is_open, case.eliminated_on) == (CaseStatus.ELIMINATED, False, D(2025, 10, 22))
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.ELIMINATED
    case = actions.rollback(county, case, reason="低保兜底仍需持续帮扶", rolled_back_on=D(2025, 11, 3))
    assert (case.status, case.is_open, case.rollbacks) == (CaseStatus.MONITORED, True, 1)
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.MONITORED
