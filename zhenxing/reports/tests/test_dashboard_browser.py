"""In real Chromium: a district officer opens every dashboard tab, clicks a figure on each and lands on the list
it counts (or, where the fixture has nothing to count, sees the tab drawn); the charts are drawn (ECharts
canvases) without errors under the strict CSP."""

import datetime
from decimal import Decimal

import pytest

from conftest import BROWSER, login
from zhenxing.cases.models import CaseEvent, CaseStatus, MonitoringType, RiskType
from zhenxing.funds import actions as funds
from zhenxing.funds.models import FundSource
from zhenxing.funds.tests.conftest import library_project
from zhenxing.registry.models import HouseholdKind
from zhenxing.reports.tests.test_dashboard_figures import case, event, household, person, warning
from zhenxing.screening.models import ScreeningRun

pytestmark = BROWSER
D = datetime.date


@pytest.mark.django_db(transaction=True)
def test_it_opens_dashboards_and_lands_on_the_lists_they_count(page, live_server, cast, village):
    h = household("B1", village.code, HouseholdKind.ORDINARY, person("张一", "户主"), person("张二", "配偶"))
    c = case(
        h,
        "JC-B1",
        CaseStatus.MONITORED,
        D(2025, 3, 1),
        kind=MonitoringType.MARGINAL,
        risk=RiskType.ILLNESS,
        announced=D(2025, 3, 20),
    )
    event(c, CaseEvent.Kind.MONITORED, D(2025, 3, 20))
    run = ScreeningRun.objects.create(as_of=D(2025, 4, 1), status=ScreeningRun.Status.DONE)
    warning("YJ-B1", h, "medical", D(2025, 4, 1), D(2025, 4, 15), run)
    project = library_project(
        cast, village, year=2025, period_start=D(2025, 3, 1), period_end=D(2025, 11, 30)
    )
    officer = cast["district_officer"]
    funds.add_allocation(officer, 2025, FundSource.CENTRAL, "100000", "鄂财1号", D(2025, 1, 5))
    funds.set_plan_item(officer, 2025, project, FundSource.CENTRAL, Decimal("100000"))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # CSP refusals are console errors; failed loads are caught above (the browser's own favicon request is not).
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
    )
    url = live_server.url
    login(page, url, "officer")
    dashboard = f"{url}/reports/dashboard/?as_of=2025-12-31"

    page.goto(dashboard)
    page.wait_for_selector("#chart-monitoring-months canvas")
    with page.expect_navigation():
        page.click(".kpis .kpi:first-child a")  # 监测户
    assert page.url.startswith(f"{url}/cases/?monitored_on=2025-12-31")
    assert page.locator("text=JC-B1").count() == 1

    page.goto(dashboard + "&section=households")  # today's colour: red, for the warning still open
    page.wait_for_selector("#chart-households-colours canvas")
    assert page.locator("#households-colours tr.total").inner_text().split() == ["合计", "1", "0", "0"]
    with page.expect_navigation():
        page.click("#households-colours tr.total td:nth-of-type(1) a")  # 红色
    assert "colour=red" in page.url
    assert page.locator("text=B1").count() >= 1

    page.goto(dashboard + "&section=work")
    with page.expect_navigation():
        page.click("#work-coverage tr.total td:nth-of-type(3) a")  # 尚无措施
    assert "measure=none" in page.url and "monitored_on=2025-12-31" in page.url
    assert page.locator("text=JC-B1").count() == 1

    page.goto(dashboard + "&section=employment")  # no 脱贫户 here: the table is drawn with its zero row
    page.wait_for_selector("#employment-rows")

    page.goto(dashboard + "&section=warnings")
    assert page.locator("#warnings-rows tr.total td").first.text_content().strip() == "1"
    with page.expect_navigation():
        page.click("#warnings-rows tr.total td:first-of-type a")  # received this year
    assert "raised_from=2025-01-01" in page.url
    assert page.locator("text=YJ-B1").count() == 1

    page.goto(dashboard + "&section=funds")
    page.wait_for_selector("#chart-funds-sources canvas")
    with page.expect_navigation():
        page.click("#funds-statuses a:has-text('1')")  # 已入库
    assert page.locator("text=共 1 个项目").count() == 1
    assert page.locator(f"text={project.code}").count() >= 1
    assert errors == []
