"""Deadlines of the steps in working days of the official calendar (chinese_calendar), with the shipped
settings: 入户核实 3, 信息比对 5, 评议和公示 5, 乡镇 2, 县级 2, 公告 2 working days; 15 days in all."""

import datetime
import zoneinfo

import chinese_calendar
import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions
from zhenxing.cases.deadlines import SHARES_WINDOW, days_overdue, due_date
from zhenxing.cases.models import Case, CaseEvent, Step
from zhenxing.cases.tests.helpers import ORDER, home_check, lead, open_case, scan, secure_visit, take
from zhenxing.cases.tests.test_rules import eligible, family, refused
from zhenxing.policy.resolve import policy_for

pytestmark = pytest.mark.django_db

D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = D(2025, 3, 3)


@pytest.fixture
def household(cast, village):
    return family(cast, village)


def test_it_ships_the_deadline_settings(db):
    policy = policy_for(2025)
    assert policy.is_inherited and policy.source_year == 2024
    keys = (
        "home_verification_workdays",
        "comparison_workdays",
        "village_review_workdays",
        "township_review_workdays",
        "county_approval_workdays",
        "announcement_workdays",
        "identification_total_days",
        "notice_min_days",
    )
    assert [policy[key] for key in keys] == [3, 5, 5, 2, 2, 2, 15, 5]


@pytest.mark.parametrize(
    ("step", "due"),
    [
        (Step.CONSENT, D(2025, 3, 6)),
        (Step.HOME_CHECK, D(2025, 3, 6)),
        (Step.COMPARISON, D(2025, 3, 10)),
        (Step.REVIEW, D(2025, 3, 10)),
        (Step.NOTICE, D(2025, 3, 10)),
        (Step.TOWNSHIP, D(2025, 3, 5)),
        (Step.COUNTY, D(2025, 3, 5)),
        (Step.ANNOUNCEMENT, D(2025, 3, 5)),
        (Step.DONE, None),
    ],
)
def test_it_gives_each_stage_its_due_date(db, step, due):
    """From Monday 2025-03-03; the start day is not counted."""
    assert due_date(step, MONDAY, policy_for(2025)) == due


def test_it_counts_across_labour_day_2025(db):
    assert all(chinese_calendar.is_holiday(D(2025, 5, day)) for day in range(1, 6))
    assert chinese_calendar.get_holiday_detail(D(2025, 5, 1)) == (True, "Labour Day")
    assert due_date(Step.TOWNSHIP, D(2025, 4, 30), policy_for(2025)) == D(2025, 5, 7)


def test_it_counts_across_national_day_2025(db):
    assert all(chinese_calendar.is_holiday(D(2025, 10, day)) for day in range(1, 9))
    assert chinese_calendar.get_holiday_detail(D(2025, 10, 1)) == (True, "National Day")
    policy = policy_for(2025)
    assert due_date(Step.TOWNSHIP, D(2025, 9, 30), policy) == D(2025, 10, 10)
    # Saturday 10-11 is an official working day (调休), Saturday 09-27 is not, Sunday 09-28 is.
    assert due_date(Step.COUNTY, D(2025, 10, 9), policy) == D(2025, 10, 11)
    assert (chinese_calendar.is_workday(D(2025, 9, 27)), chinese_calendar.is_workday(D(2025, 9, 28))) == (
        False,
        True,
    )
    assert due_date(Step.CONSENT, D(2025, 9, 25), policy) == D(2025, 9, 29)  # 09-26, 09-28, 09-29


def test_it_counts_across_the_2025_spring_festival(db):
    assert chinese_calendar.get_holiday_detail(D(2025, 1, 29)) == (True, "Spring Festival")
    assert due_date(Step.CONSENT, D(2025, 1, 27), policy_for(2025)) == D(2025, 2, 7)


def test_it_counts_days_overdue():
    assert days_overdue(D(2025, 3, 6), D(2025, 3, 10)) == 4
    assert days_overdue(D(2025, 3, 6), D(2025, 3, 6)) == 0
    assert days_overdue(D(2025, 3, 6), D(2025, 3, 1)) == 0
    assert days_overdue(None, D(2025, 3, 10)) == 0


def test_it_shares_the_windows_of_consent_and_home_check_and_of_review_and_notice():
    assert SHARES_WINDOW == {Step.HOME_CHECK: Step.CONSENT, Step.NOTICE: Step.REVIEW}


# The case's stage after each step of helpers.to_stage, when it began and when it is due.
STAGES = [
    (Step.CONSENT, D(2025, 3, 3), D(2025, 3, 6)),  # opened Monday 03-03: 3 working days
    (Step.HOME_CHECK, D(2025, 3, 4), D(2025, 3, 6)),  # keeps the consent's due date (one window)
    (Step.COMPARISON, D(2025, 3, 5), D(2025, 3, 12)),  # 5 working days from the home check
    (Step.REVIEW, D(2025, 3, 6), D(2025, 3, 13)),  # 5 working days from the comparison
    (Step.NOTICE, D(2025, 3, 7), D(2025, 3, 13)),  # keeps the review's due date (one window)
    (Step.TOWNSHIP, D(2025, 3, 12), D(2025, 3, 14)),  # 2 working days from the notice's end
    (Step.COUNTY, D(2025, 3, 12), D(2025, 3, 14)),
    (Step.ANNOUNCEMENT, D(2025, 3, 13), D(2025, 3, 17)),  # Friday 03-14, Monday 03-17
    (Step.DONE, D(2025, 3, 14), None),
]


def test_it_sets_the_stage_due_date_after_each_step(cast, household):
    case = open_case(cast, household)
    assert case.total_due == D(2025, 3, 18)
    seen = [(case.stage, case.stage_since, case.stage_due)]
    for step in ORDER[:-1]:
        case = take(cast, case, step)
        seen.append((case.stage, case.stage_since, case.stage_due))
    assert seen == STAGES


def test_it_counts_a_notice_ending_in_the_national_day_holiday(cast, household):
    cadre, zelin = cast["village_cadre"], cast["township_officer"]
    case = actions.open_case(cadre, lead(cast, household, found_on=D(2025, 9, 22)), opened_on=D(2025, 9, 22))
    case = actions.record_consent(
        cadre, case, signed_on=D(2025, 9, 23), signer="户主本人", attachments=[scan(cadre, case.area)]
    )
    case = actions.record_home_check(cadre, case, home_check(D(2025, 9, 24)))
    case = actions.record_comparison(cadre, case, compared_on=D(2025, 9, 25), note="")
    assert case.stage_due == D(2025, 10, 9)  # 09-26, 09-28 (调休), 09-29, 09-30, 10-09
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 9, 26),
        attendance=9,
        votes_for=9,
        votes_against=0,
        minutes=[scan(cadre, case.area)],
    )
    actions.publish_notice(cadre, case, start=D(2025, 9, 26), end=D(2025, 10, 1))
    case = Case.objects.get(pk=case.pk)
    assert (case.stage, case.stage_since, case.stage_due) == (Step.TOWNSHIP, D(2025, 10, 1), D(2025, 10, 10))
    case = actions.township_review(zelin, case, approve=True, reason="", reviewed_on=D(2025, 10, 9))
    assert (case.stage, case.stage_due) == (Step.COUNTY, D(2025, 10, 11))
    assert case.total_due == D(2025, 10, 7)  # calendar days: the holiday is not added


def test_it_restarts_the_window_on_a_return_and_a_resubmission(cast, household):
    cadre, zelin, officer = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = open_case(cast, household)
    for step in ORDER[: ORDER.index(Step.TOWNSHIP)]:
        case = take(cast, case, step)
    case = actions.township_review(
        zelin, case, approve=False, reason="请补充票据", reviewed_on=D(2025, 3, 12)
    )
    assert (case.stage, case.stage_since, case.stage_due) == (Step.NOTICE, D(2025, 3, 12), D(2025, 3, 19))
    case = actions.resubmit(cadre, case, note="已补充票据", resubmitted_on=D(2025, 3, 13))
    assert (case.stage, case.stage_since, case.stage_due) == (Step.TOWNSHIP, D(2025, 3, 13), D(2025, 3, 17))
    case = actions.township_review(zelin, case, approve=True, reason="", reviewed_on=D(2025, 3, 13))
    assert (case.stage, case.stage_due) == (Step.COUNTY, D(2025, 3, 17))
    case = actions.county_decision(
        officer, case, decision=actions.RETURN, reason="请核实车辆", decided_on=D(2025, 3, 14)
    )
    assert (case.stage, case.stage_since, case.stage_due) == (Step.TOWNSHIP, D(2025, 3, 14), D(2025, 3, 18))


def test_it_sets_the_elimination_deadlines(cast, household):
    cadre, zelin, officer = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = actions.start_elimination(cadre, eligible(cast, household), started_on=D(2025, 10, 13))
    seen = [(case.stage, case.stage_due)]  # no consent window to share: 3 working days from the start
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    seen.append((case.stage, case.stage_due))
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=9,
        votes_for=9,
        votes_against=0,
        minutes=[scan(cadre, case.area)],
    )
    seen.append((case.stage, case.stage_due))
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = Case.objects.get(pk=case.pk)
    seen.append((case.stage, case.stage_due))
    case = actions.township_review(zelin, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    seen.append((case.stage, case.stage_due))
    case = actions.county_decision(
        officer, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
    )
    seen.append((case.stage, case.stage_due))
    case = actions.announce(officer, case, announced_on=D(2025, 10, 22))
    seen.append((case.stage, case.stage_due))
    assert seen == [
        (Step.HOME_CHECK, D(2025, 10, 16)),
        (Step.REVIEW, D(2025, 10, 21)),
        (Step.NOTICE, D(2025, 10, 21)),  # keeps the review's due date
        (Step.TOWNSHIP, D(2025, 10, 22)),
        (Step.COUNTY, D(2025, 10, 22)),
        (Step.ANNOUNCEMENT, D(2025, 10, 23)),
        (Step.DONE, None),
    ]


# --- extend_deadline -----------------------------------------------------------------------------------------


def test_it_extends_a_deadline_with_a_reason(cast, household):
    zelin = cast["township_officer"]
    case = open_case(cast, household)
    assert case.stage_due == D(2025, 3, 6)
    with refused("延长办理期限须由乡镇（街道）或区级业务人员批准", case, error=PermissionDenied):
        actions.extend_deadline(cast["village_cadre"], case, new_due=D(2025, 3, 10), reason="户主住院")
    with refused("请填写延期原因", case):
        actions.extend_deadline(zelin, case, new_due=D(2025, 3, 10), reason=" ")
    for new_due in (D(2025, 3, 5), D(2025, 3, 6), None):
        with refused("新的期限须晚于原期限2025-03-06", case):
            actions.extend_deadline(zelin, case, new_due=new_due, reason="户主住院，无法签字")
    with time_machine.travel(datetime.datetime(2025, 3, 5, 10, tzinfo=SHANGHAI), tick=False):
        case = actions.extend_deadline(zelin, case, new_due=D(2025, 3, 10), reason="户主住院，无法签字")
    assert (case.stage, case.stage_due) == (Step.CONSENT, D(2025, 3, 10))
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.step, event.effective_date, event.reason, event.actor, event.data) == (
        CaseEvent.Kind.EXTENDED,
        Step.CONSENT,
        D(2025, 3, 5),
        "户主住院，无法签字",
        zelin,
        {"from": "2025-03-06", "to": "2025-03-10"},
    )
    entry = AuditEntry.objects.filter(object_id=str(case.public_id)).last()
    assert (entry.action, entry.changes) == (
        "cases.extended",
        {"from": "2025-03-06", "to": "2025-03-10", "reason": "户主住院，无法签字", "step": "consent"},
    )
    # The home check shares the consent's window, extended.
    case = take(cast, case, Step.CONSENT)
    assert (case.stage, case.stage_due) == (Step.HOME_CHECK, D(2025, 3, 10))
    case = actions.extend_deadline(cast["district_officer"], case, new_due=D(2025, 3, 11), reason="补充材料")
    assert case.stage_due == D(2025, 3, 11)


def test_it_refuses_to_extend_a_case_without_a_running_step(cast, household):
    case = open_case(cast, household)
    for step in ORDER[:-1]:
        case = take(cast, case, step)
    with refused("当前没有正在办理的环节，无需延期", case):
        actions.extend_deadline(cast["township_officer"], case, new_due=D(2025, 4, 30), reason="延期")
