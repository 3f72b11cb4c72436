"""The risk colour where people see it: a badge (with the reason as its tooltip) in the registry household
list, computed for the page's households in a fixed number of queries, and on the household page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenxing.cases.tests.helpers import monitored
from zhenxing.registry.models import HEAD, HouseholdKind
from zhenxing.registry.tests.change_helpers import person, register
from zhenxing.screening.tests.run_helpers import lifted, medical, ordinary, push, run

pytestmark = pytest.mark.django_db
LIST = reverse("registry:household_list")

RED = '<span class="badge red" title="有1条未办结的筛查预警" data-risk="red">红色</span>'
YELLOW = '<span class="badge yellow" title="监测对象（监测帮扶中）" data-risk="yellow">黄色</span>'
GREEN = '<span class="badge green" title="无未办结的预警，未纳入监测" data-risk="green">绿色</span>'


@pytest.fixture
def households(cast, village):
    """H001 red (an open medical warning), H002 yellow (monitored), H003 green (nothing)."""
    red = lifted(cast, village, "H001")
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    yellow = ordinary(cast, village, "H002")
    monitored(cast, yellow)
    green = register(cast["village_cadre"], village, "H003", [person(8, "孙八", HEAD)])
    return {"red": red, "yellow": yellow, "green": green}


def badges(html: str) -> dict[str, str]:
    """Household number → the risk badge of its row in the list."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    found = {}
    for row in rows:
        number = re.search(r'<a href="/registry/h/[^"]+/">([^<]+)</a>', row)
        badge = re.search(r'<span class="badge [a-z]+" title="[^"]*" data-risk="[a-z]+">[^<]+</span>', row)
        if number and badge:
            found[number[1]] = badge[0]
    return found


def test_it_shows_each_households_colour_with_its_reason_in_the_list(client, cast, households):
    client.force_login(cast["village_cadre"])

    html = client.get(LIST).content.decode()

    assert badges(html) == {"H001": RED, "H002": YELLOW, "H003": GREEN}
    assert "<th>风险颜色</th>" in html
    assert '风险颜色：<span class="badge red">红色</span> 有未办结的筛查预警' in html


def test_it_shows_the_colour_and_its_reason_on_the_household_page(client, cast, households):
    client.force_login(cast["township_officer"])
    expected = {
        "red": f'{RED} <span class="small">有1条未办结的筛查预警</span>',
        "yellow": f'{YELLOW} <span class="small">监测对象（监测帮扶中）</span>',
        "green": f'{GREEN} <span class="small">无未办结的预警，未纳入监测</span>',
    }
    for colour, household in households.items():
        url = reverse("registry:household_detail", args=[household.public_id])
        html = client.get(url).content.decode()

        shown = re.search(r'<dd id="risk-colour">(.*?)</dd>', html, re.S)[1]
        assert " ".join(shown.split()) == expected[colour]
        assert "颜色由系统按预警和案件自动计算" in html


def test_it_leaves_the_current_colour_off_a_past_view_of_the_household(client, cast, households):
    client.force_login(cast["village_cadre"])
    url = reverse("registry:household_detail", args=[households["red"].public_id])

    html = client.get(url, {"as_of": "2024-06-30"}).content.decode()

    assert 'id="risk-colour"' not in html
    assert "颜色由系统按预警和案件自动计算" not in html


def test_it_colours_the_list_in_a_number_of_queries_that_does_not_grow_with_the_page(
    client, cast, households, village
):
    client.force_login(cast["village_cadre"])

    def queries() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as context:
            html = client.get(LIST).content.decode()
        return len(context.captured_queries), badges(html)

    queries()  # the first request of a session also writes its activity time
    three, shown = queries()
    assert len(shown) == 3
    for n in range(20, 26):
        register(
            cast["district_officer"],
            village,
            f"M{n:03d}",
            [person(n, f"成员{n}", HEAD)],
            kind=HouseholdKind.LIFTED,
            lifted_year=2016,
        )
    push(cast, "medical", [medical(n, "5000.00") for n in range(20, 26)])
    run(cast)

    nine, shown = queries()

    assert nine == three
    assert [shown[f"M{n:03d}"] for n in range(20, 26)] == [RED] * 6


def test_the_warning_list_names_the_dashboards_filters_and_keeps_them_in_its_form(client, cast):
    """The dashboards' links filter warnings by the days they were raised or closed and by being overdue on
    a day, which are not on the form: the list says so and carries them as hidden fields."""
    from django.urls import reverse

    client.force_login(cast["district_officer"])
    query = "raised_from=2025-01-01&raised_to=2025-06-30&overdue_on=2025-06-30&closed_from=2025-13-01"

    page = client.get(reverse("screening:warning_list") + "?" + query).content.decode()

    assert "来自统计看板：收到自2025-01-01；收到至2025-06-30；2025-06-30逾期未办结。" in page
    assert '<input type="hidden" name="raised_from" value="2025-01-01">' in page
    assert '<input type="hidden" name="overdue_on" value="2025-06-30">' in page
    assert 'name="closed_from" value' not in page
    plain = client.get(reverse("screening:warning_list")).content.decode()
    assert "来自统计看板" not in plain and 'name="raised_from"' not in plain
