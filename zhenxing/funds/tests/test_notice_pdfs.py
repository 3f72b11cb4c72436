"""The public notices as printed: the text of each generated PDF carries the project facts and the
hotline, and none of the beneficiaries' personal data (design.md, "Personal data")."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from zhenxing.funds import actions, notices
from zhenxing.funds.models import DistributionPurpose, Project, PvStation
from zhenxing.funds.tests.conftest import project_data
from zhenxing.registry.models import HEAD, HouseholdKind
from zhenxing.registry.tests.change_helpers import id_number, person, register

pytestmark = pytest.mark.django_db

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
BANK_NUMBER = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
HEALTH = ("长期慢性病", "患有大病", "残疾")
MEMBER_NAMES = ("王大山", "刘春花", "王小虎", "陈有福")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_nothing_personal(text: str) -> None:
    # Also with the line breaks taken out: a number wrapped over two lines would hide from the first pass.
    for candidate in (text, re.sub(r"\s+", "", text)):
        assert ID_NUMBER.findall(candidate) == []
        assert MOBILE.findall(candidate) == []
        assert BANK_NUMBER.findall(candidate) == []
        assert [label for label in HEALTH if label in candidate] == []
        assert [name for name in MEMBER_NAMES if name in candidate] == []


@pytest.fixture
def beneficiaries(cast, village):
    """Two households whose members have ID numbers, mobiles and every health label."""
    admin = cast["district_admin"]
    lifted = register(
        admin,
        village,
        "H001",
        members=[
            person(1, "王大山", HEAD, health="长期慢性病", phone="13912345678"),
            person(2, "刘春花", "配偶", female=True, health="患有大病", phone="15887654321"),
        ],
        kind=HouseholdKind.LIFTED,
        lifted_year=2016,
    )
    ordinary = register(
        admin,
        village,
        "H002",
        members=[
            person(3, "王小虎", HEAD, health="残疾", phone="18611112222"),
            person(4, "陈有福", "配偶", female=True),
        ],
    )
    return [lifted, ordinary]


def test_it_prints_the_project_notice_with_its_facts_and_without_personal_data(cast, village, beneficiaries):
    # The patterns catch the members' own numbers, so a leak of any of them would fail below.
    assert ID_NUMBER.findall(f"身份证{id_number(1)}号") == [id_number(1)]
    assert MOBILE.findall("电话13912345678") == ["13912345678"]
    project = actions.propose_project(
        cast["village_cadre"],
        project_data(village, sub_type="种植业基地", household_numbers=["H001", "H002"]),
    )
    actions.review_at_township(cast["township_officer"], project)
    actions.approve_at_county(
        cast["district_officer"], project, datetime.date(2024, 1, 1), datetime.date(2024, 1, 10)
    )
    project = Project.objects.get(pk=project.pk)

    text = pdf_text(notices.project_notice_pdf(project))

    flat = re.sub(r"\s+", "", text)
    for expected in (
        "2024年度衔接资金项目入库公告",
        "项目编码2024-420704100201-001",
        "项目名称新港村茶园提质",
        "乡镇/村泽林镇/新港村",
        "产业发展/种植业基地（主导产业）",
        "建设内容新建茶园200亩",
        "中央衔接资金100000.00；省级衔接资金20000.00；合计120000.00",
        "实施期限2024年3月1日至2024年11月30日",
        "预期绩效目标新增茶园200亩",
        "务工+分红",
        "受益农户2户，其中脱贫户1户、监测户0户。",
        "责任单位/责任人泽林镇人民政府/张三",
        "公告期：2024年1月1日至2024年1月10日（共10天）",
        "（监督电话）：12317",
    ):
        assert expected in flat
    assert_nothing_personal(text)


def test_it_prints_the_pv_notice_with_its_figures_and_without_personal_data(cast, village, beneficiaries):
    officer = cast["district_officer"]
    station = actions.add_pv_station(
        officer, "PV-1", "新港村村级光伏电站", village, "60", datetime.date(2017, 6, 30)
    )
    for month, kwh, revenue in ((1, "6000", "4500.00"), (2, "7000", "5250.00")):
        actions.record_pv_month(officer, station, datetime.date(2024, month, 1), kwh, revenue)
    actions.record_pv_distribution(
        officer,
        station,
        datetime.date(2024, 3, 1),
        DistributionPurpose.PUBLIC_JOBS,
        Decimal("3000.00"),
        "保洁公益岗位：王大山（电话13912345678）",  # the description is never printed on the notice
    )

    text = pdf_text(notices.pv_notice_pdf(list(PvStation.objects.select_related("area")), 2024))

    flat = re.sub(r"\s+", "", text)
    for expected in (
        "2024年度村级光伏扶贫电站发电收益及分配公示",
        "新港村村级光伏电站新港村60.0013000.009750.003000.000.000.003000.00",
        "（监督电话）：12317",
    ):
        assert expected in flat
    assert_nothing_personal(text)
