"""Deadlines on the 督办 boards and the cadres' workload, on one world of cases at several stages.

"Today" is 2025-05-08 (time_machine). Two deadlines run across the 2025 Labour-day holiday (05-01 … 05-05,
with Sunday 04-27 a working day): a township review from 2025-04-30 (2 working days) is due 05-07; a
comparison from 2025-04-23 (5 working days, counting Sunday 04-27) is due 04-29.
"""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from conftest import make_user
from zhenxing.accounts.roles import Role
from zhenxing.cases import actions, queries
from zhenxing.cases.models import Case, DiscrepancyKind, MeasureCategory, MeasureStatus, Step
from zhenxing.cases.tests import helpers
from zhenxing.cases.tests.helpers import ORDER, D, lead, monitored, open_case, take, to_stage
from zhenxing.registry.models import HEAD
from zhenxing.registry.tests.change_helpers import person, register, second_village

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = D(2025, 5, 8)
# The village steps of cases opened on 2025-04-21 (Monday): the notice runs 04-25 … 04-30.
APRIL = {
    Step.CONSENT: D(2025, 4, 22),
    Step.HOME_CHECK: D(2025, 4, 23),
    Step.COMPARISON: D(2025, 4, 24),
    Step.REVIEW: D(2025, 4, 25),
    Step.NOTICE: D(2025, 4, 25),
}


def travel(day: datetime.date):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI), tick=False
    )


def home(cast, village, number: int, name: str):
    """A household of three (their own ID numbers, 普通劳动力) headed by `name`: 5300 yuan per person."""
    members = [
        person(3 * number, name, HEAD),
        person(3 * number + 1, "刘某", "配偶", female=True),
        person(3 * number + 2, "刘小某", "之子", born=D(2005, 5, number)),
    ]
    return register(cast["village_cadre"], village, number=f"H{number:03d}", members=members)


def walk(cast, case: Case, until: str, days: dict) -> Case:
    """`helpers.take` every step before `until`, on `days` instead of the helpers' March dates."""
    with mock.patch.dict(helpers.DAYS, days):
        for step in ORDER[: ORDER.index(until)]:
            case = take(cast, case, step)
    return case


class World(dict):
    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def world(cast, village, other_village):
    """新港村 (泽林镇): P at township review (due 05-07), Q at consent (opened 05-06), E at announcement
    since 03-13, R and R2 monitored since 03-14 and never visited (R2's cadre is zelin), an open lead L
    found 04-28 and one found 05-07, an objection on P, a 疑点 on Q.
    长港村 (泽林镇): S monitored and visited 04-20, with its own cadre and a measure in progress.
    杜山村 (杜山镇): T at comparison (due 04-29)."""
    changgang = second_village(village.parent)
    changgang_cadre = make_user("changgang", Role.VILLAGE_CADRE, changgang)
    changgang_cast = {**cast, "village_cadre": changgang_cadre}
    dushan_cast = {
        **cast,
        "village_cadre": cast["outside_village_cadre"],
        "township_officer": cast["outside_township_officer"],
    }
    cadre, zelin = cast["village_cadre"], cast["township_officer"]
    w = World(changgang=changgang, changgang_cadre=changgang_cadre)
    w["P"] = walk(cast, open_case(cast, home(cast, village, 1, "张三"), D(2025, 4, 21)), Step.TOWNSHIP, APRIL)
    w["Q"] = open_case(cast, home(cast, village, 2, "李四"), D(2025, 5, 6))
    w["E"] = to_stage(cast, open_case(cast, home(cast, village, 3, "王五")), Step.ANNOUNCEMENT)
    w["R"] = monitored(cast, home(cast, village, 4, "赵六"))
    w["R2"] = monitored(cast, home(cast, village, 5, "孙七"))
    actions.assign_cadre(cadre, w.R2, zelin, assigned_on=D(2025, 3, 20))
    actions.add_measure(
        cadre,
        w.R2,
        actions.MeasureData(
            category=MeasureCategory.HEALTH,
            content="医疗救助",
            responsible="区医保局",
            start_date=D(2025, 3, 20),
            status=MeasureStatus.DONE,
        ),
    )
    w["S"] = monitored(changgang_cast, home(changgang_cast, changgang, 6, "周八"))
    actions.assign_cadre(changgang_cadre, w.S, changgang_cadre, assigned_on=D(2025, 3, 20))
    actions.add_measure(
        changgang_cadre,
        w.S,
        actions.MeasureData(
            category=MeasureCategory.EMPLOYMENT,
            content="推荐到园区务工",
            responsible="区人社局",
            start_date=D(2025, 4, 1),
            status=MeasureStatus.IN_PROGRESS,
        ),
    )
    actions.record_visit(changgang_cadre, w.S, helpers.secure_visit(D(2025, 4, 20)))
    w["T"] = walk(
        dushan_cast,
        open_case(dushan_cast, home(dushan_cast, other_village, 7, "吴九"), D(2025, 4, 21)),
        Step.COMPARISON,
        APRIL,
    )
    w["L"] = lead(cast, home(cast, village, 8, "郑十"), found_on=D(2025, 4, 28))
    w["L2"] = lead(cast, home(cast, village, 9, "钱一"), found_on=D(2025, 5, 7))
    w["objection"] = actions.record_objection(
        cadre, w.P, received_on=D(2025, 4, 28), content="该户有经营性收入"
    )
    w["discrepancy"] = actions.record_discrepancy(
        cadre,
        w.Q.household,
        kind=DiscrepancyKind.VEHICLE,
        detail="名下登记小型轿车一辆",
        found_on=D(2025, 5, 7),
    )
    for key in ("P", "Q", "E", "R", "R2", "S", "T"):
        w[key] = Case.objects.select_related("household__head").get(pk=w[key].pk)
    return w


def summary(row: queries.BoardRow) -> dict:
    """A row as plain numbers: the steps with open cases, then the totals."""
    return {
        "steps": {s.step: (s.open.value, s.overdue.value) for s in row.stages if s.open.value},
        "open": row.open.value,
        "overdue": row.overdue.value,
        "total_overdue": row.total_overdue.value,
        "visits_overdue": row.visits_overdue.value,
    }


ZELIN = {
    "steps": {"consent": (1, 0), "township": (1, 1), "announcement": (1, 1)},
    "open": 3,
    "overdue": 2,
    "total_overdue": 1,
    "visits_overdue": 2,
}
EMPTY = {"steps": {}, "open": 0, "overdue": 0, "total_overdue": 0, "visits_overdue": 0}


def test_it_counts_deadlines_across_the_labour_day_holiday(world):
    assert (world.P.stage, world.P.stage_since, world.P.stage_due) == (
        Step.TOWNSHIP,
        D(2025, 4, 30),
        D(2025, 5, 7),
    )
    assert (world.T.stage, world.T.stage_since, world.T.stage_due) == (
        Step.COMPARISON,
        D(2025, 4, 23),
        D(2025, 4, 29),
    )
    assert world.P.total_due == D(2025, 5, 6)
    assert [queries.overdue_days(world.P, day) for day in (D(2025, 5, 7), D(2025, 5, 8), D(2025, 5, 12))] == [
        0,
        1,
        5,
    ]
    assert queries.overdue_days(world.R, TODAY) == 0  # monitored: no step running


def test_it_counts_every_township_for_the_district(cast, world):
    board = queries.board_counts(cast["district_officer"], TODAY)
    assert board.level_label == "乡镇（街道）"
    assert len(board.rows) == 14
    rows = {row.label: summary(row) for row in board.rows}
    assert rows.pop("泽林镇") == ZELIN
    assert rows.pop("杜山镇") == {
        "steps": {"comparison": (1, 1)},
        "open": 1,
        "overdue": 1,
        "total_overdue": 1,
        "visits_overdue": 0,
    }
    assert all(row == EMPTY for row in rows.values())
    assert summary(board.totals) == {
        "steps": {"consent": (1, 0), "comparison": (1, 1), "township": (1, 1), "announcement": (1, 1)},
        "open": 4,
        "overdue": 3,
        "total_overdue": 2,
        "visits_overdue": 2,
    }


def test_it_links_each_count_to_the_filtered_case_list(cast, world):
    board = queries.board_counts(cast["district_officer"], TODAY)
    zelin = next(row for row in board.rows if row.label == "泽林镇")
    township = next(s for s in zelin.stages if s.step == "township")
    assert township.open.url == "/cases/?township=420704100&stage=township"
    assert township.overdue.url == "/cases/?township=420704100&stage=township&overdue=1"
    assert zelin.overdue.url == "/cases/?township=420704100&overdue=1"
    assert zelin.total_overdue.url == "/cases/?township=420704100&status=identifying&total_overdue=1"
    assert zelin.visits_overdue.url == "/cases/?township=420704100&visit_overdue=1"
    assert board.totals.overdue.url == "/cases/?overdue=1"
    village_board = queries.board_counts(cast["township_officer"], TODAY)
    xingang = village_board.rows[0]
    assert xingang.stages[0].open.url == "/cases/?village=420704100201&stage=consent"


def test_it_counts_villages_for_the_township_and_the_village(cast, world):
    board = queries.board_counts(cast["township_officer"], TODAY)
    assert board.level_label == "村（社区）"
    assert {row.label: summary(row) for row in board.rows} == {"新港村": ZELIN, "长港村": EMPTY}
    assert summary(board.totals) == ZELIN
    own = queries.board_counts(cast["village_cadre"], TODAY)
    assert {row.label: summary(row) for row in own.rows} == {"新港村": ZELIN}
    outside = queries.board_counts(cast["outside_township_officer"], TODAY)
    assert {row.label: summary(row) for row in outside.rows} == {
        "杜山村": {
            "steps": {"comparison": (1, 1)},
            "open": 1,
            "overdue": 1,
            "total_overdue": 1,
            "visits_overdue": 0,
        }
    }


def test_it_is_not_overdue_on_the_due_day(cast, world):
    board = queries.board_counts(cast["township_officer"], D(2025, 5, 7))
    xingang = summary(board.rows[0])
    assert xingang["steps"]["township"] == (1, 0)
    assert (xingang["total_overdue"], xingang["visits_overdue"]) == (1, 2)  # found 04-21: 15 days ended 05-06


def test_it_counts_a_visit_as_on_time_within_the_interval(cast, world):
    actions.record_visit(cast["village_cadre"], world.R, helpers.secure_visit(D(2025, 4, 9)))
    assert summary(queries.board_counts(cast["village_cadre"], TODAY).rows[0])["visits_overdue"] == 1
    assert summary(queries.board_counts(cast["village_cadre"], D(2025, 5, 10)).rows[0])["visits_overdue"] == 2


def test_the_latest_visit_is_kept_on_the_case_and_an_earlier_dated_visit_does_not_lower_it(cast, world):
    cadre = cast["village_cadre"]
    actions.record_visit(cadre, world.R, helpers.secure_visit(D(2025, 4, 9)))
    actions.record_visit(cadre, world.R, helpers.secure_visit(D(2025, 4, 2)))  # entered late
    world.R.refresh_from_db()
    assert world.R.last_visited_on == D(2025, 4, 9)
    assert summary(queries.board_counts(cadre, TODAY).rows[0])["visits_overdue"] == 1


def test_the_migration_fills_the_latest_visit_from_the_visits(cast, world):
    from importlib import import_module

    from django.apps import apps

    from zhenxing.cases.models import Case

    fill = import_module("zhenxing.cases.migrations.0002_case_last_visited_on").fill_last_visit
    actions.record_visit(cast["village_cadre"], world.R, helpers.secure_visit(D(2025, 4, 9)))
    actions.record_visit(cast["village_cadre"], world.R, helpers.secure_visit(D(2025, 4, 2)))
    kept = dict(Case.objects.exclude(last_visited_on=None).values_list("pk", "last_visited_on"))
    assert kept == {world.R.pk: D(2025, 4, 9), world.S.pk: D(2025, 4, 20)}
    Case.objects.update(last_visited_on=None)
    fill(apps, None)
    assert dict(Case.objects.exclude(last_visited_on=None).values_list("pk", "last_visited_on")) == kept


def test_it_counts_the_board_in_a_fixed_number_of_queries(cast, world, django_assert_num_queries):
    """Steps grouped by village, the year's visit interval, overdue visits grouped by village, the rows."""
    officer = cast["district_officer"]
    with django_assert_num_queries(4):
        queries.board_counts(officer, TODAY)
    for number in range(20, 26):
        open_case(cast, home(cast, world.P.area, number, f"新户{number}"))
    with django_assert_num_queries(4):
        assert queries.board_counts(officer, TODAY).totals.open.value == 10


def test_it_lists_the_steps_each_user_can_take(cast, world):
    def numbers(who):
        return [case.number for case in queries.open_steps(cast[who])]

    assert numbers("village_cadre") == [world.Q.number]
    assert numbers("township_officer") == [world.E.number, world.P.number, world.Q.number]
    assert numbers("district_officer") == [world.E.number]
    assert numbers("district_admin") == [world.E.number]
    assert numbers("outside_township_officer") == [world.T.number]
    assert numbers("outside_village_cadre") == [world.T.number]
    assert numbers("inspector") == []
    assert numbers("department_clerk") == []


def test_it_leaves_out_approvals_of_cases_the_user_took_a_step_in(cast, village):
    zelin, cadre = cast["township_officer"], cast["village_cadre"]
    township_cast = {**cast, "village_cadre": zelin}
    case = open_case(township_cast, home(cast, village, 1, "张三"))
    for step in (Step.CONSENT, Step.HOME_CHECK, Step.COMPARISON, Step.REVIEW):
        case = take(township_cast, case, step)
    actions.publish_notice(cadre, case, start=D(2025, 3, 7), end=D(2025, 3, 12))
    assert Case.objects.get(pk=case.pk).stage == Step.TOWNSHIP
    assert list(queries.open_steps(zelin)) == []
    colleague = make_user("zelin2", Role.TOWNSHIP_OFFICER, village.parent)
    assert [c.number for c in queries.open_steps(colleague)] == [case.number]


def test_it_counts_each_cadres_households_by_name(cast, world):
    rows, unassigned = queries.workload(cast["township_officer"], TODAY)
    assert [(r.cadre.username, r.monitored, r.visits_overdue, r.measures_in_progress) for r in rows] == [
        ("changgang", 1, 0, 1),
        ("xingang", 0, 0, 0),
        ("zelin", 1, 1, 0),
    ]
    assert unassigned == 1  # R
    rows, unassigned = queries.workload(cast["outside_township_officer"], TODAY)
    assert ([(r.cadre.username, r.monitored) for r in rows], unassigned) == ([("dushancun", 0)], 0)


# --- the views ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("district_admin", 200),
        ("district_officer", 200),
        ("inspector", 200),
        ("township_officer", 200),
        ("village_cadre", 200),
        ("outside_township_officer", 200),
        ("outside_village_cadre", 200),
        ("department_clerk", 403),
    ],
)
def test_it_shows_the_boards_to_viewers_only(client, cast, who, status):
    client.force_login(cast[who])
    assert client.get(reverse("cases:board")).status_code == status
    assert client.get(reverse("cases:workload")).status_code == status


def test_it_shows_the_district_board(client, cast, world):
    client.force_login(cast["district_officer"])
    with travel(TODAY):
        response = client.get(reverse("cases:board"))
    html = response.content.decode()
    assert response.context["board"].today == TODAY
    assert "鄂城区防返贫监测督办看板" in html
    assert '<a class="badge red" href="/cases/?township=420704100&amp;stage=township&amp;overdue=1"' in html
    assert "识别超15天" in html and "监测户超过30天未走访" in html
    assert summary(response.context["board"].totals)["overdue"] == 3


def test_it_shows_the_township_board_by_village(client, cast, world):
    client.force_login(cast["township_officer"])
    with travel(TODAY):
        response = client.get(reverse("cases:board"))
    assert [row.label for row in response.context["lines"]] == ["新港村", "长港村", "合计"]
    assert "泽林镇防返贫监测督办看板" in response.content.decode()


def test_it_shows_the_workload_without_rankings(client, cast, world):
    client.force_login(cast["district_officer"])
    with travel(TODAY):
        response = client.get(reverse("cases:workload"))
    html = response.content.decode()
    assert [row.cadre.username for row in response.context["rows"]] == [
        "changgang",
        "dushancun",
        "xingang",
        "zelin",
    ]
    assert response.context["unassigned"] == 1
    assert "有 1 户监测户尚未确定帮扶责任人" in html
    assert "排名" not in html.replace("不作排名", "")
