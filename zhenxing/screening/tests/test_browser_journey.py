"""The screening journey in real Chromium (issue 5): the medical department's clerk uploads a feed, the
screening run raises a warning, the township assigns it, the village verifies it and includes the
household, and a lead from 部门筛查预警 appears on the household page.

The clock is 2025-04-01 09:00 in Ezhou (a Tuesday), so the warning is raised that day and due 5 working
days later, 2025-04-09 (清明 is a holiday). Jobs run in this thread between the browser steps."""

import datetime
import os

import pytest
import time_machine

from conftest import BROWSER, login
from zhenxing.cases.models import Channel, Lead, LeadStatus, RiskType
from zhenxing.jobs.worker import Worker
from zhenxing.lib.idnumbers import mask
from zhenxing.screening.models import FeedUpload, Warning, WarningResult, WarningStatus
from zhenxing.screening.tests.feed_helpers import HEAD, medical, medical_csv
from zhenxing.screening.tests.run_helpers import lifted

pytestmark = BROWSER
MASKED = mask(HEAD)  # 张三
NOW = datetime.datetime(2025, 4, 1, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def run_jobs() -> None:
    """The worker, in this thread, between browser steps."""
    while Worker("t").run_once():
        pass


def facts(page, selector: str = "dl.facts") -> dict[str, str]:
    """The first <dl class="facts"> matching `selector` as term → text (whitespace collapsed)."""
    return page.eval_on_selector(
        selector,
        """dl => Object.fromEntries([...dl.querySelectorAll('dt')].map(
               dt => [dt.textContent.trim(), dt.nextElementSibling.innerText.replace(/\\s+/g, ' ').trim()]))""",
    )


def cells(page, selector: str) -> list[list[str]]:
    rows = page.locator(selector)
    return [
        [" ".join(c.split()) for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def menu(page, label: str) -> None:
    with page.expect_navigation():
        page.click(f"#sidebar a:text-is('{label}')")


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_medical_feed_row_to_a_lead_on_the_household(
    page, live_server, cast, village, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    url = live_server.url
    household = lifted(cast, village)  # 脱贫户 H001: 张三 (户主), 李四, 张小明
    feed = medical_csv([medical(结算日期="2025-03-01", 个人自付="6999.50")])

    with time_machine.travel(NOW, tick=True):
        # —— The medical department's clerk uploads the feed ——————————————————————————————————————
        login(page, url, "clerk")
        menu(page, "部门数据")
        page.click("text=上传部门数据")
        assert page.input_value("select[name=kind]") == "medical"
        page.fill("input[name=period]", "2025-03")
        page.set_input_files(
            "#id_file", files=[{"name": "医保结算.csv", "mimeType": "text/csv", "buffer": feed}]
        )
        with page.expect_navigation():
            page.click("button:text-is('上传并检查')")
        assert page.text_content("h1") == "检查结果：医保结算.csv"
        assert facts(page) == {
            "数据行": "1",
            "没有错误的行": "1（其中能匹配到台账农户的 1 行，未匹配 0 行）",
            "错误": "没有错误",
        }
        assert cells(page, "table tbody tr") == [
            ["2", MASKED, "张三", "2025-03-01", "住院", "12000.00", "5000.50", "0.00", "0.00", "6999.50"]
        ]
        assert FeedUpload.objects.count() == 0  # nothing is written before the commit

        page.click("button:text-is('确认写入')")
        page.wait_for_url("**/jobs/*-*/")
        run_jobs()  # the commit, then the screening run it enqueues for the upload's households
        page.wait_for_selector("text=结果摘要", timeout=15_000)
        assert facts(page, "dl.facts >> nth=-1") == {
            "数据类别": "医保",
            "上传编号": str(FeedUpload.objects.get().public_id),
            "写入行数": "1",
            "匹配到农户": "1",
            "未匹配": "0",
            "因错误未写入的行": "0",
        }
        warning = Warning.objects.get()
        number = warning.number

        menu(page, "部门数据")
        with page.expect_navigation():
            page.click("text=核实反馈")
        assert cells(page, "table tbody tr") == [
            ["2", MASKED, "张三", "新港村", f"{number} 脱贫户和监测户医疗个人自付（因病）：待分派"]
        ]

        # —— The township officer assigns it to the village ————————————————————————————————————————
        login(page, url, "zelin")
        menu(page, "筛查预警")
        assert cells(page, "table tbody tr") == [
            [
                number,
                "脱贫户和监测户医疗个人自付",
                "因病",
                "H001 户主 张三",
                f"张三 {MASKED}",
                "新港村",
                "2025",
                "待分派",
                "2025-04-09",
            ]
        ]
        with page.expect_navigation():
            page.click(f"text={number}")
        shown = facts(page)
        assert shown["状态"] == "待分派"
        assert shown["农户"] == "H001 · 户主 张三 红色 有1条未办结的筛查预警"
        assert shown["核实期限"] == "2025-04-09"
        assert page.text_content("h2:text-is('为什么预警') + p") == (
            "脱贫户和监测户医疗个人自付（因病）："
            "2024-04-02至2025-04-01个人自付医疗费用合计6999.50元，达到预警线5000.00元。"
        )
        with page.expect_navigation():
            page.click("button:text-is('分派到村')")
        assert page.text_content(".flash") == "已分派到村，请村里在核实期限内入户核实"
        assert facts(page)["分派"] == "2025-04-01 zelin"

        # —— The village cadre verifies and includes the household ———————————————————————————————
        login(page, url, "xingang")
        menu(page, "筛查预警")
        assert [row[7] for row in cells(page, "table tbody tr")] == ["已分派待核实"]
        with page.expect_navigation():
            page.click(f"text={number}")
        with page.expect_navigation():
            page.click("button:text-is('开始核实')")
        assert page.text_content(".flash") == "已开始核实，核实后请登记核实结果"
        page.check("#close-form input[name=result][value=include]")
        page.fill("#close-form textarea[name=reason]", "户主住院，自付较多，纳入监测")
        with page.expect_navigation():
            page.click("button:text-is('登记核实结果并办结')")
        assert page.text_content(".flash") == "预警已办结"
        shown = facts(page)
        lead = Lead.objects.get()
        assert shown["状态"] == "已办结：纳入监测"
        assert shown["风险线索"] == f"{lead.number}（待处理）"

        # —— The lead on the household page ———————————————————————————————————————————————————————
        with page.expect_navigation():
            page.click(f"dd a:text-is('{household.number}')")
        assert cells(page, "#monitoring table tbody tr") == [
            [lead.number, "部门筛查预警", "2025-04-01", "待处理", ""]
        ]
        if os.environ.get("ZX_SCREENSHOTS"):
            page.screenshot(
                path=os.path.join(os.environ["ZX_SCREENSHOTS"], "screening_lead.png"), full_page=True
            )

    warning.refresh_from_db()
    assert (warning.status, warning.result, warning.lead_id) == (
        WarningStatus.CLOSED,
        WarningResult.INCLUDE,
        lead.pk,
    )
    assert (warning.raised_on, warning.assigned_on, warning.verification_started_on, warning.closed_on) == (
        datetime.date(2025, 4, 1),
    ) * 4
    assert (warning.assigned_by, warning.closed_by) == (cast["township_officer"], cast["village_cadre"])
    assert (lead.household, lead.channel, lead.source_ref, lead.status, lead.risk_types, lead.found_on) == (
        household,
        Channel.DEPARTMENT_WARNING,
        number,
        LeadStatus.OPEN,
        [RiskType.ILLNESS],
        datetime.date(2025, 4, 1),
    )
