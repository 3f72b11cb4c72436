"""The to-do items of monitoring cases, on the world of test_boards.py ("today" 2025-05-08)."""

import pytest
from django.urls import reverse

from zhenxing import todo
from zhenxing.cases import actions, todos
from zhenxing.cases.models import Lead, LeadStatus
from zhenxing.cases.tests import test_boards
from zhenxing.cases.tests.helpers import D, ready_for_elimination
from zhenxing.registry.tests.change_helpers import register

pytestmark = pytest.mark.django_db

world = test_boards.world
TODAY = test_boards.TODAY


def plain(items) -> list[tuple]:
    return [(i.title, i.url, i.due, i.days_overdue, i.category) for i in items]


def case_url(case) -> str:
    return reverse("cases:case_detail", kwargs={"public_id": case.public_id})


def test_it_lists_the_steps_waiting_for_each_user(cast, world):
    P, Q, E, T = world.P, world.Q, world.E, world.T
    assert plain(todos.waiting_steps(cast["village_cadre"], TODAY)) == [
        (f"{Q.number} 李四户：承诺授权", case_url(Q), D(2025, 5, 9), 0, "识别认定"),
    ]
    assert plain(todos.waiting_steps(cast["township_officer"], TODAY)) == [
        (f"{E.number} 王五户：公告", case_url(E), D(2025, 3, 17), 52, "识别认定"),
        (f"{P.number} 张三户：乡镇审核", case_url(P), D(2025, 5, 7), 1, "识别认定"),
        (f"{Q.number} 李四户：承诺授权", case_url(Q), D(2025, 5, 9), 0, "识别认定"),
    ]
    assert plain(todos.waiting_steps(cast["district_officer"], TODAY)) == [
        (f"{E.number} 王五户：公告", case_url(E), D(2025, 3, 17), 52, "识别认定"),
    ]
    assert plain(todos.waiting_steps(cast["outside_village_cadre"], TODAY)) == [
        (f"{T.number} 吴九户：信息比对", case_url(T), D(2025, 4, 29), 9, "识别认定"),
    ]
    assert todos.waiting_steps(cast["inspector"], TODAY) == []


def test_it_counts_the_township_deadline_across_the_holiday(cast, world):
    [on_the_day] = [
        i for i in todos.waiting_steps(cast["township_officer"], D(2025, 5, 7)) if "乡镇审核" in i.title
    ]
    assert (on_the_day.due, on_the_day.days_overdue) == (D(2025, 5, 7), 0)


def test_it_names_a_step_returned_to_the_village(cast, world):
    case = actions.township_review(
        cast["township_officer"], world.P, approve=False, reason="请补充收入佐证", reviewed_on=D(2025, 5, 6)
    )
    assert plain(todos.waiting_steps(cast["village_cadre"], TODAY)) == [
        (f"{world.Q.number} 李四户：承诺授权", case_url(world.Q), D(2025, 5, 9), 0, "识别认定"),
        (
            f"{case.number} 张三户：补正后重新报送（乡镇已退回）",
            case_url(case),
            D(2025, 5, 13),  # returned 05-06: 5 working days
            0,
            "识别认定",
        ),
    ]


def test_it_names_the_steps_of_the_elimination_procedure(cast, village):
    case = ready_for_elimination(cast, register(cast["village_cadre"], village))
    case = actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))
    assert plain(todos.waiting_steps(cast["village_cadre"], D(2025, 10, 20))) == [
        (f"{case.number} 张三户：入户核实（风险消除）", case_url(case), D(2025, 10, 16), 4, "风险消除"),
    ]


def test_it_lists_leads_not_decided_within_the_time_limit(cast, world):
    L = world.L
    expected = [
        (
            f"风险线索{L.number} 郑十户：请入户核实，启动识别或核实无风险办结",
            reverse("cases:lead_detail", kwargs={"public_id": L.public_id}),
            D(2025, 5, 6),  # found 04-28: 3 working days across the Labour-day holiday
            2,
            "风险线索",
        )
    ]
    assert plain(todos.undecided_leads(cast["village_cadre"], TODAY)) == expected
    assert plain(todos.undecided_leads(cast["district_officer"], TODAY)) == expected
    assert todos.undecided_leads(cast["outside_township_officer"], TODAY) == []
    assert todos.undecided_leads(cast["inspector"], TODAY) == []
    assert todos.undecided_leads(cast["village_cadre"], D(2025, 5, 6)) == []  # due that day
    actions.close_lead(cast["village_cadre"], L, reason="经核实收入稳定", closed_on=D(2025, 5, 8))
    assert Lead.objects.get(pk=L.pk).status == LeadStatus.NOT_RISK
    assert todos.undecided_leads(cast["village_cadre"], TODAY) == []


def test_it_lists_overdue_visits_for_the_cadre_or_the_village(cast, world):
    R, R2 = world.R, world.R2
    assert plain(todos.overdue_visits(cast["village_cadre"], TODAY)) == [
        (
            f"{R.number} 赵六户：走访已逾期，请入户走访（上次走访或纳入监测：2025-03-14）",
            case_url(R),
            D(2025, 4, 13),
            25,
            "走访",
        )
    ]
    assert plain(todos.overdue_visits(cast["township_officer"], TODAY)) == [
        (
            f"{R2.number} 孙七户：走访已逾期，请入户走访（上次走访或纳入监测：2025-03-14）",
            case_url(R2),
            D(2025, 4, 13),
            25,
            "走访",
        )
    ]
    assert todos.overdue_visits(world.changgang_cadre, TODAY) == []  # visited 04-20
    assert todos.overdue_visits(cast["district_officer"], TODAY) == []
    actions.record_visit(cast["village_cadre"], R, test_boards.helpers.secure_visit(D(2025, 5, 8)))
    assert todos.overdue_visits(cast["village_cadre"], TODAY) == []


def test_it_lists_unanswered_objections_and_unresolved_discrepancies(cast, world):
    P, Q = world.P, world.Q
    expected = [
        (f"{P.number} 张三户：公示异议待答复（2025-04-28收到）", case_url(P), D(2025, 5, 7), 1, "公示异议"),
        (f"{Q.number} 李四户：疑点待核实说明（登记车辆）", case_url(Q), D(2025, 5, 9), 0, "疑点核实"),
    ]
    assert plain(todos.open_questions(cast["village_cadre"], TODAY)) == expected
    assert plain(todos.open_questions(cast["district_officer"], TODAY)) == expected
    assert todos.open_questions(cast["outside_village_cadre"], TODAY) == []
    assert todos.open_questions(cast["inspector"], TODAY) == []
    actions.answer_objection(
        cast["village_cadre"], world.objection, answer="经核实无经营性收入", answered_on=TODAY
    )
    actions.resolve_discrepancy(
        cast["village_cadre"], world.discrepancy, resolution="车辆已于2024年转让", resolved_on=TODAY
    )
    assert todos.open_questions(cast["village_cadre"], TODAY) == []


def test_it_orders_the_home_list_overdue_first(cast, world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    items = [i for i in todo.items_for(cast["township_officer"]) if i.url.startswith("/cases/")]
    assert [(i.category, i.days_overdue, i.due) for i in items] == [
        ("识别认定", 52, D(2025, 3, 17)),
        ("走访", 25, D(2025, 4, 13)),
        ("风险线索", 2, D(2025, 5, 6)),
        ("识别认定", 1, D(2025, 5, 7)),
        ("公示异议", 1, D(2025, 5, 7)),
        ("识别认定", 0, D(2025, 5, 9)),  # same day: by title
        ("疑点核实", 0, D(2025, 5, 9)),
    ]


def test_it_shows_the_items_on_the_home_page(client, cast, world):
    client.force_login(cast["village_cadre"])
    with test_boards.travel(TODAY):
        html = client.get(reverse("home")).content.decode()
    assert f"{world.Q.number} 李四户：承诺授权" in html
    assert "逾期25天" in html
