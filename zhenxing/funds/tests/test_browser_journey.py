"""A project's journey in real Chromium: village proposes, township and county approve, plan, two
payments, completion and acceptance, and the asset shows in the village ledger."""

import datetime
from decimal import Decimal

import pytest

from conftest import BROWSER, login
from zhenxing.funds import actions
from zhenxing.funds.models import FundSource, Project

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_project_from_village_to_the_asset_ledger(page, live_server, cast):
    url = live_server.url
    login(page, url, "xingang")
    page.goto(url + "/funds/projects/new/")
    page.fill("input[name=year]", "2024")
    page.fill("input[name=name]", "新港村茶园提质")
    page.select_option("select[name=category]", "industry")
    page.check("input[name=is_leading_industry]")
    page.fill("textarea[name=content]", "新建茶园200亩")
    page.select_option("select[name=area]", label="新港村")
    page.fill("input[name=period_start]", "2024-03-01")
    page.fill("input[name=period_end]", "2024-11-30")
    page.fill("input[name=planned_central]", "100000")
    page.fill("textarea[name=performance_targets]", "新增茶园200亩")
    page.fill("textarea[name=linkage_mechanism]", "务工+分红")
    page.fill("input[name=responsible_unit]", "泽林镇人民政府")
    page.fill("input[name=responsible_person]", "张三")
    page.click("button.primary")
    page.wait_for_selector("#project-status")
    project = Project.objects.get()
    assert "村申报" in page.text_content("#project-status")

    login(page, url, "zelin")
    page.goto(url + f"/funds/projects/{project.code}/")
    page.click("#township-approve")
    page.wait_for_selector("text=乡镇审核通过，已报区级审定")

    login(page, url, "officer")
    page.goto(url + f"/funds/projects/{project.code}/")
    page.fill("#county-form input[name=notice_start]", "2024-01-01")
    page.fill("#county-form input[name=notice_end]", "2024-01-10")
    page.click("#county-form button")
    page.wait_for_selector("text=区级审定通过")
    page.click("text=公告期满，入库")
    page.wait_for_selector("text=项目已入库")

    actions.add_allocation(
        cast["district_admin"],
        2024,
        FundSource.CENTRAL,
        Decimal("500000"),
        "鄂财1号",
        datetime.date(2024, 1, 5),
    )
    page.goto(url + "/funds/plan/?year=2024")
    page.fill("#plan-form input[name=project]", project.code)
    page.fill("#plan-form input[name=amount]", "100000")
    page.click("#plan-form button")
    page.wait_for_selector("text=已列入年度计划")

    for day, amount in (("2024-04-10", "40000"), ("2024-06-10", "60000")):
        page.goto(url + f"/funds/projects/{project.code}/")
        page.fill("#disburse-form input[name=paid_on]", day)
        page.fill("#disburse-form input[name=amount]", amount)
        page.fill("#disburse-form input[name=voucher_number]", f"V{day}")
        page.click("#disburse-form button")
        page.wait_for_selector(".flash")
        assert page.text_content(".flash") == f"已登记拨付 {amount}.00 元"
    for form, day, done in (
        ("#start-form", "2024-03-15", "已登记开工"),
        ("#complete-form", "2024-10-31", "已登记完工"),
    ):
        page.fill(f"{form} input[name=day]", day)
        page.click(f"{form} button")
        page.wait_for_selector(f"text={done}")
    page.fill("#accept-form input[name=name]", "新港村茶园")
    page.select_option("#accept-form select[name=kind]", "operating")
    page.fill("#accept-form input[name=value]", "100000")
    page.fill("#accept-form input[name=duties]", "日常管护")
    invalid = page.evaluate("[...document.querySelectorAll('#accept-form :invalid')].map(e => e.name)")
    assert invalid == []
    with page.expect_navigation():
        page.click("#accept-form button")
    assert page.text_content(".flash") == "项目已验收，资产已登记入账"

    login(page, url, "xingang")
    page.goto(url + "/funds/assets/?owner=420704100201")
    assert "新港村茶园" in page.text_content("#asset-table")
    assert project.disbursements.count() == 2
