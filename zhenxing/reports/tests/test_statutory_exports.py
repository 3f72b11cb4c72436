"""The six statutory exports: exact rows and totals, the state on an earlier as-of date, the area filter,
masked and full ID numbers, formula neutralising, print settings — and the files opened by a real
spreadsheet program (LibreOffice, headless) and read back cell by cell.

The world is built once for the module through the apps' own actions (helpers of the cases, registry,
screening and funds tests), in a transaction rolled back afterwards; each test runs in a savepoint.
"""

import contextlib
import csv
import datetime
import io
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from conftest import make_user
from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.cases import actions as cases
from zhenxing.cases.models import MeasureCategory, MeasureStatus
from zhenxing.cases.tests.helpers import monitored
from zhenxing.cases.tests.test_rules import eligible, eliminate
from zhenxing.funds import actions as funds
from zhenxing.funds.models import Category, FundSource
from zhenxing.funds.tests.conftest import library_project
from zhenxing.lib.idnumbers import mask
from zhenxing.registry.actions import remove_member
from zhenxing.registry.models import HEAD, HouseholdKind, Membership, Person
from zhenxing.registry.tests.change_helpers import id_number, person, register
from zhenxing.reports.statutory.table import get_report
from zhenxing.reports.statutory.workbook import build_workbook
from zhenxing.screening.actions import assign_warning, close_warning, start_verification
from zhenxing.screening.models import Warning
from zhenxing.screening.tests.run_helpers import medical, push, run

D = datetime.date
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
NEEDS_SOFFICE = pytest.mark.skipif(
    not os.path.exists(SOFFICE),
    reason="需要 LibreOffice（/usr/bin/soffice，Debian 软件包 libreoffice-calc-nogui；make test 以 root 运行时自动安装）",
)
NOW = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)  # 2026-03-02 10:00 in Ezhou: "today"
TODAY = D(2026, 3, 2)
C, P = FundSource.CENTRAL, FundSource.PROVINCIAL


def family(cast, village, number: str, first: int, head: str, kind=HouseholdKind.ORDINARY):
    """Three members with ID numbers first … first+2; the head is `head`."""
    members = [
        person(first, head, HEAD),
        person(first + 1, "李梅", "配偶", female=True),
        person(first + 2, "张小明", "之子", born=D(2005, 5, 5)),
    ]
    lifted_year = 2016 if kind == HouseholdKind.LIFTED else None
    return register(
        cast["district_officer"], village, number, members=members, kind=kind, lifted_year=lifted_year
    )


def build_world() -> dict:
    county = Area.objects.get(code="420704")
    zelin, dushan = Area.objects.get(code="420704100"), Area.objects.get(code="420704101")
    xingang = Area.objects.create(code="420704100201", name="新港村", level=Level.VILLAGE, parent=zelin)
    changgang = Area.objects.create(code="420704100202", name="长港村", level=Level.VILLAGE, parent=zelin)
    dushancun = Area.objects.create(code="420704101201", name="杜山村", level=Level.VILLAGE, parent=dushan)
    cast = {
        "district_admin": make_user("admin", Role.DISTRICT_ADMIN, county),
        "district_officer": make_user("officer", Role.DISTRICT_OFFICER, county),
        "department_clerk": make_user("clerk", Role.DEPARTMENT_CLERK, county, "medical"),
        "township_officer": make_user("zelin", Role.TOWNSHIP_OFFICER, zelin),
        "village_cadre": make_user("xingang", Role.VILLAGE_CADRE, xingang),
        "inspector": make_user("inspector", Role.INSPECTOR, county),
        "outside_township_officer": make_user("dushan", Role.TOWNSHIP_OFFICER, dushan),
        "outside_village_cadre": make_user("dushancun", Role.VILLAGE_CADRE, dushancun),
    }
    User.objects.filter(username="xingang").update(full_name="王建国")
    cast["village_cadre"].refresh_from_db()
    neighbour = {**cast, "village_cadre": make_user("changgang", Role.VILLAGE_CADRE, changgang)}
    outside = {
        **cast,
        "village_cadre": cast["outside_village_cadre"],
        "township_officer": cast["outside_township_officer"],
    }

    # Registry: six households of three, registered 2024-01-01.
    h1 = family(cast, xingang, "H001", 1, "张三")
    h2 = family(cast, xingang, "H002", 4, "王五")
    h3 = family(cast, changgang, "H003", 7, "赵六")
    h4 = family(cast, dushancun, "H004", 10, "刘七")
    h5 = family(cast, xingang, "H005", 13, "陈八", HouseholdKind.LIFTED)
    h6 = family(cast, changgang, "H006", 16, "孙九", HouseholdKind.LIFTED)

    # Screening: a medical warning on each 脱贫户, raised 2025-04-01 (due 04-09); H005's is closed.
    push(cast, "medical", [medical(13, "6000.00"), medical(16, "6000.00")])
    run(cast)
    w5, w6 = Warning.objects.get(household=h5), Warning.objects.get(household=h6)
    w5 = assign_warning(cast["township_officer"], w5, D(2025, 4, 2))
    w5 = start_verification(cast["village_cadre"], w5, D(2025, 4, 3))
    close_warning(cast["village_cadre"], w5, result="include", reason="住院自付较高", closed_on=D(2025, 4, 7))

    # Cases: H001 monitored 2025-03-14, eliminated 2025-10-22, rolled back 2025-11-03; H002, H003, H004
    # monitored 2025-03-14.
    c1 = eliminate(cast, eligible(cast, h1))
    cases.assign_cadre(cast["village_cadre"], c1, cast["village_cadre"], assigned_on=D(2025, 3, 20))
    cases.rollback(cast["district_officer"], c1, reason="户主旧病复发", rolled_back_on=D(2025, 11, 3))
    c2, c3 = monitored(cast, h2), monitored(neighbour, h3)
    monitored(outside, h4)
    cadre = cast["village_cadre"]
    housing = cases.add_measure(
        cadre,
        c2,
        cases.MeasureData(
            category=MeasureCategory.HOUSING,
            content="临时租房安置，发放临时救助金",
            responsible="泽林镇民政办",
            start_date=D(2025, 4, 1),
            status=MeasureStatus.IN_PROGRESS,
            amount=Decimal("3000.00"),
        ),
    )
    cases.add_measure(
        cadre,
        c2,
        cases.MeasureData(
            category=MeasureCategory.OTHER,
            content='=HYPERLINK("http://example.com","点此领取")',
            responsible="@泽林镇",
            start_date=D(2025, 5, 6),
        ),
    )
    cases.add_measure(
        neighbour["village_cadre"],
        c3,
        cases.MeasureData(
            category=MeasureCategory.EMPLOYMENT,
            content="推荐到镇扶贫车间务工",
            responsible="泽林镇人社中心",
            start_date=D(2026, 1, 12),
            status=MeasureStatus.PLANNED,
        ),
    )
    # Updated today: an earlier as-of date shows it still 实施中.
    cases.update_measure(cadre, housing, status=MeasureStatus.DONE, end_date=D(2025, 12, 1))
    # H002's son married out on 2025-06-01: three members before, two after.
    son = Person.objects.get(memberships__household=h2, name="张小明")
    remove_member(cast["district_officer"], h2, son, Membership.EndReason.MARRIAGE_OUT, D(2025, 6, 1))

    # Funds (2024): a tea project in 新港村, a road in 杜山村, paid against the 2024 plan; an accepted
    # project's asset with revenue, its disposal requested today.
    officer = cast["district_officer"]
    for source, amount in ((C, "1000000"), (P, "100000")):
        funds.add_allocation(officer, 2024, source, Decimal(amount), f"鄂财{source}", D(2024, 1, 5))
    tea = library_project(cast, xingang)  # 中央 100000, 省级 20000
    road = library_project(
        cast, dushancun, name="杜山村产业路", category=Category.INFRASTRUCTURE, is_leading_industry=False
    )
    funds.set_plan_item(officer, 2024, tea, C, "100000.00")
    funds.set_plan_item(officer, 2024, tea, P, "20000.00")
    funds.set_plan_item(officer, 2024, road, C, "80000.00")
    for project, source, day, amount in (
        (tea, C, D(2024, 4, 10), "30000.00"),
        (tea, C, D(2024, 7, 15), "30000.00"),
        (tea, P, D(2024, 6, 1), "5000.50"),
        (road, C, D(2024, 5, 20), "44000.00"),
    ):
        funds.record_disbursement(officer, project, 2024, source, day, amount, f"V{day}{amount}")
    pv = library_project(cast, xingang, name="新港村光伏扩容", category=Category.INDUSTRY)
    funds.start_project(officer, pv, D(2024, 3, 1))
    funds.complete_project(officer, pv, D(2024, 9, 1))
    asset_data = funds.AssetData(
        "村级光伏电站", "operating", "village", Decimal("50000.00"), "新港村村委会", "日常巡检、收益分配"
    )
    [asset] = funds.accept_project(officer, pv, D(2024, 9, 10), [asset_data])
    funds.record_asset_revenue(officer, asset, 2024, Decimal("3000.00"))
    funds.record_asset_revenue(officer, asset, 2025, Decimal("3200.00"))
    funds.request_asset_disposal(officer, asset, "设备老化，拟报废")

    return {
        "cast": cast,
        "areas": {"county": county, "zelin": zelin, "xingang": xingang, "changgang": changgang},
        "households": [h1, h2, h3, h4, h5, h6],
        "cases": [c1, c2, c3],
        "warnings": [Warning.objects.get(pk=w5.pk), w6],
        "asset": asset,
        "projects": {"tea": tea, "road": road},
    }


@contextlib.contextmanager
def built_world(django_db_blocker, tmp_path_factory):
    """The world in a transaction rolled back at the end (for a module fixture: each test then runs in a
    savepoint inside it); job results go to a temporary MEDIA_ROOT."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with built_world(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.fixture
def today():
    with time_machine.travel(NOW, tick=False):
        yield


# --- reading a workbook back ----------------------------------------------------------------------------


def _shown(cell) -> str:
    """What a spreadsheet shows: two decimals for the money format, integers plainly."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        if cell.number_format == "0.00":
            return f"{value:.2f}"
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def sheet(data: bytes) -> list[list[str]]:
    """Every row as shown, trailing blanks dropped."""
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[_shown(c) for c in row] for row in ws.iter_rows()]
    return [_trim(row) for row in rows]


def _trim(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def export(name: str, area: Area, as_of: datetime.date, full_ids: bool = False) -> list[list[str]]:
    return sheet(build_workbook(get_report(name), area, as_of, full_ids).data)


def body(rows: list[list[str]]) -> list[list[str]]:
    """The data rows: below title, subtitle and header, above 合计."""
    return rows[3:-1]


def masked(n: int) -> str:
    return mask(id_number(n))


# --- 监测对象台账 -------------------------------------------------------------------------------------

MONITORED_HEADER = [
    "序号",
    "乡镇（街道）",
    "村（社区）",
    "户编号",
    "户主姓名",
    "公民身份号码",
    "家庭人口数",
    "户类型",
    "监测对象类别",
    "致贫返贫风险",
    "识别监测时间",
    "帮扶责任人",
    "识别时人均纯收入（元）",
    "风险是否消除",
    "风险消除时间",
]


def monitored_row(i, village, number, head, n, size, eliminated="否", day="", cadre=""):
    return [
        str(i),
        "泽林镇",
        village,
        number,
        head,
        masked(n),
        str(size),
        "一般农户",
        "边缘易致贫户",
        "因病",
        "2025-03-13",
        cadre,
        "5300.00",
        eliminated,
        *([day] if day else []),
    ]


@pytest.mark.django_db
def test_it_lists_monitored_households_with_title_header_and_totals(world):
    rows = export("monitored", world["areas"]["zelin"], D(2025, 12, 31))

    assert rows[0] == ["鄂城区泽林镇监测对象台账"]
    assert rows[1] == ["截至2025年12月31日　　金额单位：元"]
    assert rows[2] == MONITORED_HEADER
    assert body(rows) == [
        monitored_row(1, "新港村", "H001", "张三", 1, 3, cadre="王建国"),
        monitored_row(2, "新港村", "H002", "王五", 4, 2),
        monitored_row(3, "长港村", "H003", "赵六", 7, 3),
    ]
    assert rows[-1] == ["合计", "共3户", "", "", "", "", "8", "", "", "", "", "", "", "0"]


@pytest.mark.django_db
def test_it_shows_monitored_households_as_they_stood_on_earlier_dates(world):
    zelin = world["areas"]["zelin"]

    assert body(export("monitored", zelin, D(2025, 3, 13))) == []  # identified, not yet announced
    on_may_31 = body(export("monitored", zelin, D(2025, 5, 31)))
    assert [r[3:7] for r in on_may_31] == [
        ["H001", "张三", masked(1), "3"],
        ["H002", "王五", masked(4), "3"],  # the son left on 2025-06-01
        ["H003", "赵六", masked(7), "3"],
    ]
    assert [r[-1] for r in on_may_31] == ["否", "否", "否"]
    on_oct_31 = export("monitored", zelin, D(2025, 10, 31))
    assert body(on_oct_31)[0][-2:] == ["是", "2025-10-22"]  # eliminated, rolled back only on 11-03
    assert on_oct_31[-1][-1] == "1"


@pytest.mark.django_db
def test_it_covers_the_chosen_area_only(world):
    areas = world["areas"]

    county = body(export("monitored", areas["county"], D(2025, 12, 31)))
    assert [(r[1], r[2], r[3]) for r in county] == [
        ("泽林镇", "新港村", "H001"),
        ("泽林镇", "新港村", "H002"),
        ("泽林镇", "长港村", "H003"),
        ("杜山镇", "杜山村", "H004"),
    ]
    village = export("monitored", areas["changgang"], D(2025, 12, 31))
    assert village[0] == ["鄂城区泽林镇长港村监测对象台账"]
    assert [r[3] for r in body(village)] == ["H003"]


@pytest.mark.django_db
def test_it_writes_full_id_numbers_only_when_asked(world):
    zelin = world["areas"]["zelin"]

    full = body(export("monitored", zelin, D(2025, 12, 31), full_ids=True))
    assert [r[5] for r in full] == [id_number(1), id_number(4), id_number(7)]
    assert masked(1).count("*") == 8
    assert [r[5] for r in body(export("monitored", zelin, D(2025, 12, 31)))] == [
        masked(1),
        masked(4),
        masked(7),
    ]


# --- 帮扶措施台账 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_measures_in_their_status_on_the_date(world, today):
    zelin = world["areas"]["zelin"]
    c1, c2, c3 = world["cases"]

    rows = export("measures", zelin, D(2025, 12, 31))
    assert rows[2] == [
        "序号",
        "乡镇（街道）",
        "村（社区）",
        "户编号",
        "户主姓名",
        "公民身份号码",
        "案件编号",
        "措施类别",
        "措施内容",
        "责任人或责任单位",
        "开始日期",
        "结束日期",
        "金额（元）",
        "状态",
        "绿色通道先行落实",
    ]
    assert body(rows) == [
        ["1", "泽林镇", "新港村", "H001", "张三", masked(1), c1.number, "健康帮扶", "落实医疗救助和大病保险",
         "区医保局", "2025-03-20", "", "", "已落实", "否"],
        ["2", "泽林镇", "新港村", "H002", "王五", masked(4), c2.number, "住房保障", "临时租房安置，发放临时救助金",
         "泽林镇民政办", "2025-04-01", "2025-12-01", "3000.00", "实施中", "否"],
        ["3", "泽林镇", "新港村", "H002", "王五", masked(4), c2.number, "其他", "'=HYPERLINK(\"http://example.com\",\"点此领取\")",
         "'@泽林镇", "2025-05-06", "", "", "计划实施", "否"],
    ]  # fmt: skip
    assert rows[-1] == ["合计", "共3项", "", "", "", "", "", "", "", "", "", "", "3000.00", "", "0"]

    now = body(export("measures", zelin, TODAY))
    assert [(r[3], r[7], r[13]) for r in now] == [
        ("H001", "健康帮扶", "已落实"),
        ("H002", "住房保障", "已落实"),  # updated today
        ("H002", "其他", "计划实施"),
        ("H003", "就业帮扶", "计划实施"),  # starts 2026-01-12
    ]


# --- 风险消除台账 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_eliminations_with_criteria_and_rollbacks(world):
    zelin = world["areas"]["zelin"]

    assert body(export("eliminations", zelin, D(2025, 10, 21))) == []
    before = export("eliminations", zelin, D(2025, 10, 31))
    assert before[2][-8:] == [
        "识别认定时长",
        "帮扶措施落实",
        "人均纯收入情况",
        "收入持续稳定",
        "两不愁三保障及饮水安全",
        "风险消除情况",
        "是否已回退",
        "回退日期",
    ]
    assert body(before) == [
        [
            "1",
            "泽林镇",
            "新港村",
            "H001",
            "张三",
            masked(1),
            "3",
            "边缘易致贫户",
            "因病",
            "2025-03-13",
            "2025-10-13",
            "2025-10-22",
            "王建国",
            "2025-03-13识别，已满7个月",
            "已落实1项",
            "2025年人均纯收入12000.00元，当年监测范围8300.00元",
            "2025-10-10核实：收入持续稳定",
            "2025-10-10核实：全部有保障",
            "2025-10-10核实：原有风险已消除，无新增风险",
            "否",
        ]
    ]
    assert before[-1] == ["合计", "共1户次", "", "", "", "", "3", *[""] * 12, "0"]
    after = export("eliminations", zelin, D(2025, 12, 31))
    assert body(after)[0][-2:] == ["是", "2025-11-03"]
    assert after[-1][-1] == "1"


# --- 预警处置台账 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_warnings_as_handled_up_to_the_date(world):
    zelin = world["areas"]["zelin"]
    w5, w6 = world["warnings"]
    rule = "脱贫户和监测户医疗个人自付"

    rows = export("warnings", zelin, D(2025, 6, 30))
    assert rows[1] == ["截至2025年6月30日"]  # no money columns
    assert body(rows) == [
        ["1", "泽林镇", "新港村", w5.number, rule, "医保局", "H005", "陈八", masked(13), "因病", "2025",
         "2025-04-01", "2025-04-09", "2025-04-02", "2025-04-03", "2025-04-07", "已办结", "纳入监测",
         "住院自付较高", "6", "否"],
        ["2", "泽林镇", "长港村", w6.number, rule, "医保局", "H006", "孙九", masked(16), "因病", "2025",
         "2025-04-01", "2025-04-09", "", "", "", "待分派", "", "", "90", "是"],
    ]  # fmt: skip
    assert rows[-1] == ["合计", "共2条", *[""] * 18, "1"]

    on_apr_5 = body(export("warnings", zelin, D(2025, 4, 5)))
    assert on_apr_5[0][13:] == ["2025-04-02", "2025-04-03", "", "核实中", "", "", "4", "否"]
    assert body(export("warnings", zelin, D(2025, 3, 31))) == []


# --- 资金拨付进度表 -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_tables_disbursement_progress_against_the_checkpoints(world):
    tea, road = world["projects"]["tea"], world["projects"]["road"]

    rows = export("disbursements", world["areas"]["county"], D(2024, 6, 30))
    assert rows[0] == ["鄂城区资金拨付进度表"]
    assert rows[2] == [
        "序号",
        "乡镇（街道）",
        "实施地点",
        "项目编码",
        "项目名称",
        "项目类别",
        "资金来源",
        "计划安排（元）",
        "截至日已拨付（元）",
        "4月30日前拨付（元）",
        "6月30日前拨付（元）",
        "9月30日前拨付（元）",
        "拨付进度（%）",
        "时序要求（%）",
        "是否达到时序进度",
    ]
    assert body(rows) == [
        ["1", "泽林镇", "新港村", tea.code, "新港村茶园提质", "产业发展", "中央衔接资金", "100000.00", "30000.00",
         "30000.00", "30000.00", "", "30.00", "55.00", "否"],
        ["2", "泽林镇", "新港村", tea.code, "新港村茶园提质", "产业发展", "省级衔接资金", "20000.00", "5000.50",
         "0.00", "5000.50", "", "25.00", "55.00", "否"],
        ["3", "杜山镇", "杜山村", road.code, "杜山村产业路", "基础设施", "中央衔接资金", "80000.00", "44000.00",
         "0.00", "44000.00", "", "55.00", "55.00", "是"],
    ]  # fmt: skip
    assert rows[-1] == [
        "合计", "共3项", "", "", "", "", "", "200000.00", "79000.50", "30000.00", "79000.50", "",
        "39.50", "55.00", "否",
    ]  # fmt: skip

    zelin_year_end = body(export("disbursements", world["areas"]["zelin"], D(2024, 12, 31)))
    assert [r[8:] for r in zelin_year_end] == [
        ["60000.00", "30000.00", "30000.00", "60000.00", "60.00", "80.00", "否"],
        ["5000.50", "0.00", "5000.50", "5000.50", "25.00", "80.00", "否"],
    ]


# --- 项目资产台账 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_assets_handed_over_by_the_date(world, today):
    asset, zelin = world["asset"], world["areas"]["zelin"]
    project = asset.project

    assert body(export("assets", zelin, D(2024, 9, 9))) == []
    rows = export("assets", zelin, D(2025, 12, 31))
    assert body(rows) == [
        ["1", "泽林镇", "新港村", asset.code, "村级光伏电站", "经营性", "村", project.code, "新港村光伏扩容", "",
         "50000.00", "新港村村委会", "日常巡检、收益分配", "2024-09-10", "在用", "", "6200.00", "否"],
    ]  # fmt: skip
    assert rows[-1] == ["合计", "共1个", *[""] * 8, "50000.00", "", "", "", "", "", "6200.00", "0"]
    assert body(export("assets", zelin, D(2024, 12, 31)))[0][-2] == "3000.00"
    assert body(export("assets", zelin, TODAY))[0][14] == "处置待审批"  # requested today


# --- the file itself ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_sets_up_the_sheet_for_printing(world):
    data = build_workbook(get_report("monitored"), world["areas"]["zelin"], D(2025, 12, 31)).data
    ws = openpyxl.load_workbook(io.BytesIO(data)).active

    assert ws.title == "监测对象台账"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$3:$3"
    assert ws.freeze_panes == "A4"
    assert ws.print_options.gridLines is True
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A1:O1", "A2:O2"]
    assert ws["A3"].font.b and ws["A7"].font.b  # header and 合计


def soffice_csv(paths: list[Path], out: Path, profile: Path) -> dict[str, list[list[str]]]:
    """Convert with LibreOffice headless (its own profile, so parallel runs do not clash) and read back."""
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(out),
            *map(str, paths),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = {}
    for path in paths:
        text = (out / f"{path.stem}.csv").read_text(encoding="utf-8")
        result[path.stem] = [_trim(row) for row in csv.reader(io.StringIO(text))]
    return result


@NEEDS_SOFFICE
@pytest.mark.django_db
def test_every_export_opens_in_libreoffice_with_the_same_cells(world, tmp_path, today):
    """All six files in one conversion: what LibreOffice reads equals what we wrote, cell for cell."""
    areas = world["areas"]
    wanted = {
        "monitored": (areas["zelin"], D(2025, 12, 31)),
        "measures": (areas["zelin"], D(2025, 12, 31)),
        "eliminations": (areas["zelin"], D(2025, 12, 31)),
        "warnings": (areas["zelin"], D(2025, 6, 30)),
        "disbursements": (areas["county"], D(2024, 6, 30)),
        "assets": (areas["zelin"], D(2025, 12, 31)),
    }
    paths, expected = [], {}
    for name, (area, as_of) in wanted.items():
        data = build_workbook(get_report(name), area, as_of).data
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        paths.append(path)
        expected[name] = sheet(data)

    read = soffice_csv(paths, tmp_path / "csv", tmp_path / "profile")

    assert read == expected
    assert read["monitored"][3][5] == masked(1)  # the ID number stays text, all 18 characters
    assert read["measures"][5][8:10] == ['\'=HYPERLINK("http://example.com","点此领取")', "'@泽林镇"]
    assert read["disbursements"][-1][7:9] == ["200000.00", "79000.50"]
