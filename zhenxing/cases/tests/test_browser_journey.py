"""Issue 4's journey in real Chromium: the village cadre of 新港村 records a lead and takes the case through
every village step, 泽林镇 reviews, the district approves and announces; six months later the household
passes the elimination criteria and the elimination procedure runs through the same chain.

"Today" is frozen with time_machine (actions refuse later dates) and moved forward past each notice and
the six months of monitoring. The live server runs in a thread of this process, so it sees the same
clock (the forms' pre-filled dates prove it). Chromium keeps its own clock; cookies still work because
Django sends Max-Age, which the browser counts from its own now.
"""

import datetime
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import BROWSER, login
from zhenxing.attachments.models import Attachment
from zhenxing.cases.models import GUARANTEES, Case, CaseEvent, CaseStatus, Procedure, Step
from zhenxing.registry.models import Household, MonitoringStatus
from zhenxing.registry.tests.change_helpers import register

pytestmark = BROWSER

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)


def shot(page, name: str) -> None:
    if os.environ.get("ZX_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ZX_SCREENSHOTS"], f"case-{name}.png"), full_page=True)


def shown(page) -> list[str]:
    """The messages and errors on the page: flashes first, then field errors."""
    texts = page.locator(".flash").all_text_contents() + page.locator(".error-text").all_text_contents()
    return [t.strip() for t in texts]


def submit(page, label: str) -> list[str]:
    with page.expect_navigation():
        page.click(f"button:has-text('{label}')")
    return shown(page)


def follow(page, text: str) -> None:
    with page.expect_navigation():
        page.click(f"a:has-text('{text}')")


def step_bar(page) -> list[tuple[str, str]]:
    """(state, label) of each step on the case page, as the user sees them (✓ done)."""
    items = page.locator("#current-step ol.steps li")
    return [(items.nth(i).get_attribute("class"), items.nth(i).text_content()) for i in range(items.count())]


def current(page) -> str:
    return page.text_content("#current-step p strong")


def status(page) -> str:
    return page.text_content("h1 .badge")


def attach(page, name: str, filename: str) -> None:
    page.set_input_files(
        f"input[name={name}]", {"name": filename, "mimeType": "application/pdf", "buffer": PDF}
    )


def verification(page, findings: str) -> None:
    page.fill("textarea[name=findings]", findings)
    for key in (*(f"g_{key}" for key, _ in GUARANTEES), "income_stable", "risks_resolved"):
        page.check(f"input[name={key}][value=yes]")


@pytest.mark.django_db(transaction=True)
def test_it_identifies_monitors_and_eliminates_a_household(page, live_server, cast):
    page.set_default_timeout(15_000)
    url = live_server.url
    with time_machine.travel(at(datetime.date(2025, 3, 3)), tick=True) as clock:
        household = register(cast["village_cadre"], cast["village_cadre"].area)
        assert str(datetime.date.today()) == "2025-03-03"

        # —— 新港村: lead → case → 承诺授权, 入户核实, 信息比对, 民主评议, 村内公示 (Monday 2025-03-03) ——
        login(page, url, "xingang")
        page.goto(url + f"/registry/h/{household.public_id}/")
        follow(page, "登记风险线索")
        assert page.input_value("input[name=household_number]") == "H001"
        assert page.input_value("input[name=found_on]") == "2025-03-03"  # the server's frozen today
        page.fill("textarea[name=description]", "户主张三住院手术，医疗支出大，家庭收入减少")
        page.check("input[name=risk_types][value=illness]")
        lead_message = submit(page, "登记线索")
        lead_number = page.text_content("h1").removeprefix("风险线索 ")
        assert lead_message == [
            f"已登记风险线索 {lead_number}，请核实后处理：核实无风险、启动识别或并入在办案件"
        ]
        assert page.text_content(".facts dd >> nth=0").strip() == "待处理"

        opened = submit(page, "启动识别认定")
        case = Case.objects.get()
        assert opened == [f"已启动识别认定，案件编号 {case.number}。下一步：签署承诺授权书"]
        assert page.url == url + f"/cases/{case.public_id}/"
        assert status(page) == "识别认定中"
        assert current(page) == "承诺授权"
        assert step_bar(page)[:2] == [("current", "承诺授权"), ("pending", "入户核实")]

        follow(page, "办理承诺授权")
        assert page.input_value("input[name=signer]") == "张三"
        attach(page, "files", "承诺书.pdf")
        assert submit(page, "提交承诺授权") == ["已登记承诺授权。下一步：入户核实"]
        assert current(page) == "入户核实"
        assert "承诺书.pdf" in page.text_content("section.card:has(h2:text('办理记录'))")

        follow(page, "办理入户核实")
        page.fill("input[name=checked_on]", "2025-03-03")
        page.fill("textarea[name=findings]", "入户查看，户主因病住院，家庭收入减少")
        for name, amount in (
            ("wage_income", "12000"),
            ("business_income", "3000"),
            ("property_income", "0"),
            ("transfer_income", "2400"),
            ("production_costs", "1500"),
        ):
            page.fill(f"input[name={name}]", amount)
        assert page.input_value("input[name=household_size]") == "3"
        page.select_option("select[name=monitoring_type]", "marginal")
        assert page.is_checked("input[name=risk_types][value=illness]")
        assert page.input_value("select[name=main_risk]") == "illness"
        assert submit(page, "提交入户核实") == [
            "已登记入户核实：收入测算期 2024-03-01 至 2025-02-28，家庭人口 3 人，人均纯收入 5300.00 元"
            "（监测范围 8300.00 元）。下一步：信息比对"
        ]
        assert "低于监测范围" in page.text_content(".facts")

        follow(page, "办理信息比对")
        page.fill("textarea[name=note]", "已与财政供养、车辆、商品房、工商登记数据比对，无疑点")
        assert submit(page, "提交信息比对") == ["已登记信息比对。下一步：民主评议"]

        follow(page, "办理民主评议")
        page.fill("input[name=attendance]", "15")
        page.fill("input[name=votes_for]", "13")
        page.fill("input[name=votes_against]", "1")
        attach(page, "minutes", "评议记录.pdf")
        assert submit(page, "提交民主评议") == ["民主评议通过。下一步：村内公示"]

        # 村内公示 is a short form on the case page; the end date is pre-filled five days on.
        assert page.input_value("#current-step input[name=end]") == "2025-03-08"
        assert submit(page, "提交村内公示") == [
            "已发布村内公示（2025-03-03 至 2025-03-08）。公示期满后报乡镇审核"
        ]
        assert current(page) == "乡镇审核"
        assert "此环节由乡镇（街道）干部办理。" in page.text_content("#current-step")

        # —— the notice has run: 泽林镇 reviews, the district approves and announces (Monday 03-10) ——
        clock.move_to(at(datetime.date(2025, 3, 10)))
        login(page, url, "zelin")
        page.goto(url + f"/cases/{case.public_id}/")
        assert page.is_checked("#current-step input[name=decision][value=approve]")
        assert submit(page, "提交乡镇审核") == ["乡镇审核同意，已报区级审定"]
        assert current(page) == "县级审定"

        login(page, url, "officer")
        page.goto(url + f"/cases/{case.public_id}/")
        page.fill("#current-step textarea[name=reason]", "同意纳入监测")
        assert submit(page, "提交县级审定") == ["区级审定同意。下一步：由乡镇（街道）或区级发布公告"]
        assert submit(page, "提交公告") == ["已公告，该户纳入监测。请确定帮扶责任人，制定帮扶措施"]
        assert status(page) == "监测帮扶中"
        assert [state for state, _ in step_bar(page)] == ["done"] * 8
        assert "2025-03-10，2025-03-10 公告" in page.text_content(".facts")
        shot(page, "monitored")

        # —— the cadre plans a measure and visits ——
        login(page, url, "xingang")
        page.goto(url + f"/cases/{case.public_id}/")
        follow(page, "登记帮扶措施")
        page.select_option("select[name=category]", "health")
        page.fill("input[name=content]", "落实医疗救助和大病保险")
        page.fill("input[name=responsible]", "区医保局")
        page.fill("input[name=amount]", "6000")
        page.select_option("select[name=status]", "done")
        assert submit(page, "保存措施") == ["已登记帮扶措施：健康帮扶，落实医疗救助和大病保险"]
        assert "已落实" in page.text_content("#measures")

        follow(page, "登记走访")
        page.fill("textarea[name=findings]", "户主出院在家休养，医疗救助已到位")
        assert submit(page, "保存走访") == ["已登记走访"]
        assert "户主出院在家休养" in page.text_content("#visits")
        assert "不符合" in page.text_content("#elimination")  # not yet six months, no 2025 income

        # —— six months later: 2025 income above the line, a verification visit, then elimination ——
        clock.move_to(at(datetime.date(2025, 9, 15)))
        login(page, url, "xingang")
        page.goto(url + f"/registry/h/{household.public_id}/income/?year=2025")
        for name, amount in (
            ("wage_income", "36000"),
            ("business_income", "3000"),
            ("property_income", "0"),
            ("transfer_income", "1200"),
            ("production_costs", "1000"),
        ):
            page.fill(f"input[name={name}]", amount)
        assert submit(page, "保存") == ["已登记2025年度收入：人均纯收入 13066.67 元（家庭人口 3 人）"]

        page.goto(url + f"/cases/{case.public_id}/")
        follow(page, "登记走访")
        page.check("input[name=is_verification]")
        verification(page, "户主康复后返岗务工，收入稳定")
        assert submit(page, "保存走访") == ["已登记走访"]
        assert "两不愁三保障及饮水安全有保障" in page.text_content("#visits")
        criteria = page.locator("#elimination .criteria li")
        assert criteria.count() == 7
        assert page.locator("#elimination .criteria li.fail").count() == 0
        assert "2025-03-10识别，已满6个月" in page.text_content("#elimination")
        shot(page, "criteria")
        assert submit(page, "启动风险消除") == ["已启动风险消除。下一步：入户核实"]
        assert status(page) == "风险消除程序中"
        assert current(page) == "风险消除入户核实"
        assert step_bar(page) == [
            ("current", "入户核实"),
            ("pending", "民主评议"),
            ("pending", "村内公示"),
            ("pending", "乡镇审核"),
            ("pending", "县级审定"),
            ("pending", "公告"),
        ]

        follow(page, "办理风险消除入户核实")
        verification(page, "入户核实：务工收入稳定，两不愁三保障及饮水安全均有保障")
        assert submit(page, "提交风险消除入户核实") == ["已登记风险消除入户核实。下一步：民主评议"]

        follow(page, "办理民主评议")
        page.fill("input[name=attendance]", "12")
        page.fill("input[name=votes_for]", "12")
        attach(page, "minutes", "风险消除评议记录.pdf")
        assert submit(page, "提交民主评议") == ["民主评议通过。下一步：村内公示"]
        assert submit(page, "提交村内公示") == [
            "已发布村内公示（2025-09-15 至 2025-09-20）。公示期满后报乡镇审核"
        ]

        clock.move_to(at(datetime.date(2025, 9, 22)))
        login(page, url, "zelin")
        page.goto(url + f"/cases/{case.public_id}/")
        assert submit(page, "提交乡镇审核") == ["乡镇审核同意，已报区级审定"]

        login(page, url, "officer")
        page.goto(url + f"/cases/{case.public_id}/")
        assert page.text_content("#current-step label:has(input[value=approve])").strip() == "同意风险消除"
        assert submit(page, "提交县级审定") == ["区级审定同意。下一步：由乡镇（街道）或区级发布公告"]
        assert submit(page, "提交公告") == ["已公告，该户风险已消除"]
        assert status(page) == "风险已消除"
        assert "风险已消除，记录长期保留" in page.text_content("#current-step")
        assert "2025-09-15 启动，2025-09-22 消除" in page.text_content(".facts")
        shot(page, "eliminated")

        page.goto(url + f"/registry/h/{household.public_id}/")
        assert "风险已消除" in page.text_content(".facts")

    case.refresh_from_db()
    assert (case.status, case.is_open, case.procedure, case.stage) == (
        CaseStatus.ELIMINATED,
        False,
        Procedure.ELIMINATION,
        Step.DONE,
    )
    assert (case.identified_on, case.announced_on, case.eliminated_on) == (
        datetime.date(2025, 3, 10),
        datetime.date(2025, 3, 10),
        datetime.date(2025, 9, 22),
    )
    assert str(case.assessed_per_capita) == "5300.00"
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.ELIMINATED
    events = CaseEvent.objects.filter(case=case).order_by("id")
    assert [(e.kind, e.step, str(e.effective_date), e.actor.username) for e in events] == [
        ("lead_recorded", "", "2025-03-03", "xingang"),
        ("opened", "", "2025-03-03", "xingang"),
        ("step_done", "consent", "2025-03-03", "xingang"),
        ("step_done", "home_check", "2025-03-03", "xingang"),
        ("step_done", "comparison", "2025-03-03", "xingang"),
        ("step_done", "review", "2025-03-03", "xingang"),
        ("step_done", "notice", "2025-03-03", "xingang"),
        ("step_done", "township", "2025-03-10", "zelin"),
        ("step_done", "county", "2025-03-10", "officer"),
        ("monitored", "announcement", "2025-03-10", "officer"),
        ("measure_added", "", "2025-03-10", "xingang"),
        ("visit", "", "2025-03-10", "xingang"),
        ("visit", "", "2025-09-15", "xingang"),
        ("elimination_started", "", "2025-09-15", "xingang"),
        ("step_done", "home_check", "2025-09-15", "xingang"),
        ("step_done", "review", "2025-09-15", "xingang"),
        ("step_done", "notice", "2025-09-15", "xingang"),
        ("step_done", "township", "2025-09-22", "zelin"),
        ("step_done", "county", "2025-09-22", "officer"),
        ("eliminated", "announcement", "2025-09-22", "officer"),
    ]
    assert sorted(Attachment.objects.values_list("original_name", "kind")) == [
        ("承诺书.pdf", "scan"),
        ("评议记录.pdf", "scan"),
        ("风险消除评议记录.pdf", "scan"),
    ]
    assert Attachment.objects.get(original_name="承诺书.pdf").size == len(PDF)
