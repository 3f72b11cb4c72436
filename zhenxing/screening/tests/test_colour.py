"""The household risk colour: red (open warning, identification, overdue step of a monitored case),
yellow (monitored), green (eliminated or no risk)."""

import pytest

from zhenxing.cases import actions as cases
from zhenxing.cases.tests.helpers import monitored, open_case, ready_for_elimination, scan, secure_visit
from zhenxing.registry.models import Household, MonitoringStatus
from zhenxing.registry.queries import COLOURS, colour_q
from zhenxing.screening import colour
from zhenxing.screening.actions import assign_warning, close_warning, start_verification
from zhenxing.screening.colour import risk_colour, risk_colours
from zhenxing.screening.models import Warning
from zhenxing.screening.tests.run_helpers import D, lifted, medical, ordinary, push, run

pytestmark = pytest.mark.django_db
TODAY = D(2025, 11, 3)


@pytest.fixture
def household(cast, village):
    return ordinary(cast, village)


def eliminated(cast, household):
    """The whole elimination chain (as in the cases tests), ending on 2025-10-22."""
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = cases.start_elimination(cadre, ready_for_elimination(cast, household), started_on=D(2025, 10, 13))
    case = cases.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    case = cases.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=12,
        votes_for=12,
        votes_against=0,
        minutes=[scan(cadre, case.area, "评议记录.pdf")],
    )
    cases.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = cases.township_review(township, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    case = cases.county_decision(county, case, decision=cases.APPROVE, reason="", decided_on=D(2025, 10, 21))
    return cases.announce(county, case, announced_on=D(2025, 10, 22))


def test_it_colours_a_household_without_risk_green(household):
    assert risk_colour(household, TODAY) == ("green", "无未办结的预警，未纳入监测")


def test_it_colours_an_open_warning_red(cast, village):
    household = lifted(cast, village)
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)

    assert risk_colour(household, TODAY) == ("red", "有1条未办结的筛查预警")


def test_it_colours_a_closed_warning_green_again(cast, village):
    household = lifted(cast, village)
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    warning = assign_warning(cast["township_officer"], Warning.objects.get(), D(2025, 4, 2))
    warning = start_verification(cast["village_cadre"], warning, D(2025, 4, 3))
    close_warning(
        cast["village_cadre"], warning, result="exclude", reason="已报销，无困难", closed_on=D(2025, 4, 7)
    )

    assert risk_colour(household, TODAY)[0] == "green"


def test_it_keeps_a_warning_closed_into_a_lead_red_until_the_lead_is_handled(cast, village):
    """Regression: a warning closed as 纳入监测 turned the household green while its new lead waited."""
    household = lifted(cast, village)
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    warning = assign_warning(cast["township_officer"], Warning.objects.get(), D(2025, 4, 2))
    warning = start_verification(cast["village_cadre"], warning, D(2025, 4, 3))
    warning = close_warning(
        cast["village_cadre"], warning, result="include", reason="住院自付费用高", closed_on=D(2025, 4, 7)
    )
    assert risk_colour(household, TODAY) == ("red", "有1条待处理的风险线索")

    cases.close_lead(
        cast["village_cadre"], warning.lead, reason="已获医疗救助，无返贫风险", closed_on=D(2025, 4, 8)
    )
    assert risk_colour(household, TODAY) == ("green", "无未办结的预警，未纳入监测")


def test_it_colours_an_identification_red(cast, household):
    case = open_case(cast, household)

    assert risk_colour(household, TODAY) == ("red", f"识别认定中（{case.number}，待办环节：承诺授权）")


def test_it_colours_a_monitored_household_yellow(cast, household):
    monitored(cast, household)

    assert risk_colour(household, TODAY) == ("yellow", "监测对象（监测帮扶中）")


def test_it_colours_a_monitored_case_with_an_overdue_step_red(cast, household):
    case = cases.start_elimination(
        cast["village_cadre"], ready_for_elimination(cast, household), started_on=D(2025, 10, 13)
    )

    assert risk_colour(household, case.stage_due) == ("yellow", "监测对象（风险消除程序中）")
    assert risk_colour(household, TODAY) == (
        "red",
        f"风险消除程序中，入户核实已逾期（期限{case.stage_due:%Y-%m-%d}）",
    )


def test_it_colours_an_eliminated_household_green(cast, household):
    eliminated(cast, household)

    assert risk_colour(household, TODAY) == ("green", "风险已消除")


def test_it_colours_a_page_of_households_in_four_queries(cast, village, django_assert_num_queries):
    first, second = lifted(cast, village), ordinary(cast, village)
    open_case(cast, second)

    with django_assert_num_queries(4):
        colours = risk_colours([first.pk, second.pk, 999_999], TODAY)

    assert {pk: colour for pk, (colour, _) in colours.items()} == {first.pk: "green", second.pk: "red"}


# —— The households' colour columns (what lists and dashboards count) ————————————————————————————————


def columns(household) -> tuple:
    return tuple(
        Household.objects.filter(pk=household.pk).values_list("risk_open", "risk_monitored", "risk_step_due")[
            0
        ]
    )


def counted(household, day) -> str:
    """The colour the lists and dashboards count for the household (from its columns), checked against the
    rule computed from the warnings, leads and cases."""
    found = [c for c in COLOURS if Household.objects.filter(colour_q(c, day), pk=household.pk).exists()]
    assert found == [risk_colour(household, day)[0]]
    return found[0]


def test_the_columns_follow_a_warning_into_a_lead_and_out(cast, village):
    household = lifted(cast, village)
    assert (columns(household), counted(household, TODAY)) == ((False, False, None), "green")
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)  # stored in bulk
    assert (columns(household), counted(household, TODAY)) == ((True, False, None), "red")
    warning = assign_warning(cast["township_officer"], Warning.objects.get(), D(2025, 4, 2))
    warning = start_verification(cast["village_cadre"], warning, D(2025, 4, 3))
    warning = close_warning(
        cast["village_cadre"], warning, result="include", reason="住院自付费用高", closed_on=D(2025, 4, 7)
    )
    assert (columns(household), counted(household, TODAY)) == ((True, False, None), "red")  # the open lead
    cases.close_lead(cast["village_cadre"], warning.lead, reason="已获医疗救助", closed_on=D(2025, 4, 8))
    assert (columns(household), counted(household, TODAY)) == ((False, False, None), "green")


def test_the_columns_follow_a_case_through_identification_monitoring_and_elimination(
    cast, village, household
):
    identifying = lifted(cast, village)
    open_case(cast, identifying)
    assert (columns(identifying), counted(identifying, TODAY)) == ((True, False, None), "red")
    case = ready_for_elimination(cast, household)
    assert (columns(household), counted(household, TODAY)) == ((False, True, None), "yellow")
    case = cases.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))
    assert columns(household) == (False, True, case.stage_due)
    assert (counted(household, case.stage_due), counted(household, TODAY)) == ("yellow", "red")
    case = cases.extend_deadline(cast["township_officer"], case, new_due=D(2025, 11, 10), reason="户主住院")
    assert (columns(household), counted(household, TODAY)) == ((False, True, D(2025, 11, 10)), "yellow")


def test_the_columns_clear_when_the_risk_is_eliminated_and_return_on_a_rollback(cast, household):
    case = eliminated(cast, household)
    assert (columns(household), counted(household, TODAY)) == ((False, False, None), "green")
    cases.rollback(cast["district_officer"], case, reason="核查发现收入不实", rolled_back_on=D(2025, 10, 30))
    assert (columns(household), counted(household, TODAY)) == ((False, True, None), "yellow")


def test_refresh_all_repairs_columns_written_behind_the_actions_back(cast, village):
    red, yellow, green = (
        lifted(cast, village),
        ordinary(cast, village),
        ordinary(cast, village, number="H009", first=6),
    )
    open_case(cast, red)
    Household.objects.filter(pk=yellow.pk).update(monitoring_status=MonitoringStatus.MONITORED)
    Household.objects.filter(pk=green.pk).update(risk_open=True)
    assert {pk for pk, _, _ in colour.stale()} == {yellow.pk, green.pk}

    assert colour.refresh_all() == 3  # the two the rule names and the one whose columns were set
    assert colour.stale() == []
    assert [counted(h, TODAY) for h in (red, yellow, green)] == ["red", "yellow", "green"]
