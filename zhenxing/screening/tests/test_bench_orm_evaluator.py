"""The benchmark's household-by-household ORM evaluator (`bench/screening_orm.py`) finds exactly the hits of
the product's path (`write_snapshot` + the engine) on a small registry with rows at the rules' boundaries.

The households are registered and the feeds stored through the actions (the registry's and the run
tests' helpers); one household is marked monitored directly and one has an open case in identification.
"""

import datetime

import pytest

from bench.screening_orm import engine_identities, evaluate
from zhenxing.cases.tests.helpers import open_case
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.actions import record_income, remove_member
from zhenxing.registry.models import HEAD, Household, HouseholdKind, Membership, MonitoringStatus
from zhenxing.registry.tests.change_helpers import id_number, person, register
from zhenxing.screening import colour
from zhenxing.screening.runs import enabled_rules, engine_params
from zhenxing.screening.tests.feed_helpers import HEAD as ZHANG_SAN
from zhenxing.screening.tests.feed_helpers import SON, UNKNOWN, WIFE
from zhenxing.screening.tests.run_helpers import push

pytestmark = pytest.mark.django_db

D = datetime.date
REGISTERED = D(2021, 1, 1)  # before the income years recorded below
AS_OF = D(2025, 3, 31)  # windows: 2024-04-01 … 2025-03-31; months 2025-01 … 2025-03; school year 2024-2025


def two(n: int, name: str) -> list:
    """A household of two men: n (户主) and n + 1 (之子)."""
    return [
        person(n, name, HEAD),
        person(n + 1, name + "子", "之子", born=D(1990, 1, 1) + datetime.timedelta(days=n)),
    ]


def son(n: int) -> str:
    return id_number(n + 1, born=D(1990, 1, 1) + datetime.timedelta(days=n))


def income(cast, household, year: int, net: str) -> None:
    amounts = dict(business_income="0", property_income="0", transfer_income="0", production_costs="0")
    record_income(cast["district_officer"], household, year, {"wage_income": net, **amounts})


@pytest.fixture
def district(cast, village) -> dict[str, Household]:
    officer = cast["district_officer"]
    h = {
        # 张三 (n=1, 户主), 李四 (n=2), 张小明 (n=3)
        "h1": register(officer, village, "H001", day=REGISTERED, kind=HouseholdKind.LIFTED, lifted_year=2016),
        "h2": register(officer, village, "H002", members=two(4, "王五"), day=REGISTERED),
        "h3": register(
            officer,
            village,
            "H003",
            members=two(6, "钱七"),
            day=REGISTERED,
            kind=HouseholdKind.LIFTED,
            lifted_year=2018,
        ),
        "h4": register(officer, village, "H004", members=two(8, "孙八"), day=REGISTERED),
        "h5": register(officer, village, "H005", members=two(10, "周九"), day=REGISTERED),
        "h6": register(officer, village, "H006", members=two(12, "吴十"), day=REGISTERED),
    }
    Household.objects.filter(pk=h["h4"].pk).update(monitoring_status=MonitoringStatus.MONITORED)
    colour.refresh([h["h4"].pk])  # written behind the cases actions' back
    open_case(cast, h["h5"])  # in identification
    gone = Membership.objects.get(household=h["h6"], relation="之子").person
    remove_member(officer, h["h6"], gone, Membership.EndReason.DEATH, D(2024, 6, 1))  # son(12)
    for key in h:
        h[key].refresh_from_db()

    income(cast, h["h1"], 2023, "30000.00")  # 10000.00 per person
    income(cast, h["h1"], 2024, "21000.03")  # 7000.01: below the line, a drop of just under 30 %
    income(cast, h["h2"], 2023, "20000.00")  # 10000.00
    income(cast, h["h2"], 2024, "14000.00")  # 7000.00: a drop of exactly 30 %
    income(cast, h["h3"], 2023, "16000.00")
    income(cast, h["h3"], 2024, "16600.00")  # 8300.00: at the line, not below it
    income(cast, h["h6"], 2024, "9000.00")  # one member left
    income(cast, h["h6"], 2025, "5000.00")  # counts from the as-of year 2025 only

    def pay(who: str, day: str, amount: str) -> dict:
        return {"公民身份号码": who, "结算日期": day, "个人自付": amount}

    push(
        cast,
        "medical",
        [
            pay(ZHANG_SAN, "2025-02-10", "3000.00"),
            pay(ZHANG_SAN, "2024-04-01", "2000.00"),  # first day of the window: 5000.00, warns (脱贫户)
            pay(id_number(6), "2025-01-05", "4999.99"),  # one cent below
            pay(son(6), "2024-03-31", "9000.00"),  # one day outside the window
            pay(id_number(4), "2025-01-05", "10000.00"),  # two members of 10000.00: totals are per member
            pay(son(4), "2025-01-06", "10000.00"),
            pay(son(10), "2025-01-20", "10000.00"),  # twice in one upload: 20000.00, warns
            pay(son(10), "2025-01-20", "10000.00"),
            pay(id_number(12), "2025-01-05", "19999.99"),
            pay(son(12), "2024-05-01", "30000.00"),  # no longer a member
            pay(UNKNOWN, "2025-01-05", "30000.00"),  # nobody in the registry
        ],
    )
    push(cast, "medical", [pay(id_number(6), "2025-01-05", "4999.99")])  # sent again: counted once

    def school(who: str, year: str, stage: str, status: str = "在读", cost: str = "") -> dict:
        return {"公民身份号码": who, "学年": year, "学段": stage, "在读状态": status, "个人负担费用": cost}

    push(
        cast,
        "education",
        [
            school(SON, "2024-2025", "高中", cost="6000.00"),
            school(SON, "2024-2025", "高中", cost="4000.01"),  # 10000.01 in one school year
            school(SON, "2023-2024", "本科及以上", cost="10000.00"),  # not above 10000
            school(SON, "2024-2025", "小学", "辍学"),
            school(SON, "2025-2026", "初中", "辍学"),  # a school year not begun by the as-of date
            school(id_number(4), "2024-2025", "高中", cost="10000.00"),
            school(son(4), "2024-2025", "高中", cost="6000.00"),
        ],
    )
    push(
        cast,
        "disability",
        [
            {"公民身份号码": son(6), "残疾等级": "二级", "残疾类别": "肢体", "发证日期": "2024-04-01"},
            {"公民身份号码": id_number(4), "残疾等级": "一级", "残疾类别": "视力", "发证日期": "2024-03-31"},
            {"公民身份号码": son(4), "残疾等级": "三级", "残疾类别": "听力", "发证日期": "2025-01-01"},
        ],
    )

    def appraisal(who: str, day: str, grade: str) -> dict:
        return {"户主公民身份号码": who, "鉴定日期": day, "房屋安全等级": grade}

    push(
        cast,
        "housing",
        [
            appraisal(ZHANG_SAN, "2024-01-01", "D"),
            appraisal(ZHANG_SAN, "2024-06-01", "B"),  # the latest by the as-of date
            appraisal(ZHANG_SAN, "2025-06-01", "D"),  # after the as-of date
            appraisal(id_number(6), "2024-05-01", "A"),
            appraisal(id_number(6), "2024-05-01", "C"),  # same day, stored last: warns
            appraisal(id_number(4), "2024-05-01", "C"),
            appraisal(id_number(4), "2024-05-01", "A"),  # same day, stored last: safe
        ],
    )
    push(
        cast,
        "emergency",
        [
            {"户主公民身份号码": id_number(4), "发生日期": "2024-12-01", "直接经济损失": "10000.00", "房屋倒损情况": "无"},
            {"户主公民身份号码": id_number(10), "发生日期": "2025-01-10", "直接经济损失": "9999.99", "房屋倒损情况": "一般损坏"},
            {"户主公民身份号码": id_number(8), "发生日期": "2025-01-10", "房屋倒损情况": "倒塌"},
        ],
    )  # fmt: skip

    def month(who: str, stat_month: str, status: str) -> dict:
        return {"公民身份号码": who, "统计月份": stat_month, "就业状态": status}

    push(
        cast,
        "employment",
        [
            month(WIFE, "2025-01", "失业"),
            month(son(6), "2024-12", "返乡"),  # before the three months
            month(son(4), "2025-02", "失业"),  # not a 脱贫户 nor monitored
            month(son(8), "2025-03", "失业"),
        ],
    )
    push(
        cast,
        "civil_affairs",
        [
            {"公民身份号码": son(4), "救助类型": "低保", "开始日期": "2024-04-01"},
            {"公民身份号码": son(8), "救助类型": "特困", "开始日期": "2024-10-01"},  # monitored already
            {"公民身份号码": id_number(12), "救助类型": "临时救助", "开始日期": "2025-01-01"},
        ],
    )
    push(
        cast,
        "vehicle",
        [
            {"公民身份号码": id_number(8), "车辆类型": "小型轿车", "登记日期": "2024-05-01"},
            {"公民身份号码": id_number(10), "车辆类型": "货车", "登记日期": "2024-05-01"},
            {
                "公民身份号码": id_number(4),
                "车辆类型": "小型轿车",
                "登记日期": "2024-05-01",
            },  # not under check
        ],
    )
    push(cast, "real_estate", [{"公民身份号码": id_number(8), "用途": "其他", "登记日期": "2020-01-01"}])
    push(
        cast,
        "police",
        [
            {"公民身份号码": son(8), "户籍状态": "死亡", "变动日期": "2024-02-03"},
            {"公民身份号码": ZHANG_SAN, "户籍状态": "死亡", "变动日期": "2024-02-03"},  # not under check
        ],
    )
    push(
        cast,
        "public_payroll",
        [
            {
                "公民身份号码": son(8),
                "单位名称": "区财政局",
                "入职日期": "2025-06-01",
            },  # after the as-of date
            {"公民身份号码": id_number(10), "单位名称": "区教育局"},  # undated: counts
        ],
    )
    push(
        cast,
        "business",
        [
            {
                "公民身份号码": son(10),
                "主体类型": "个体工商户",
                "注册资本(万元)": "50.00",
                "登记状态": "存续",
            },
            {"公民身份号码": son(8), "主体类型": "个体工商户", "注册资本(万元)": "49.99", "登记状态": "存续"},
        ],
    )
    return h


def both(as_of: datetime.date) -> tuple[set, set]:
    values = policy_for(as_of.year).values
    params, rules = engine_params(values), enabled_rules(values)
    return evaluate(as_of, params, rules=rules), engine_identities(as_of, params, rules=rules)


def test_it_finds_the_engines_hits_at_the_boundaries(district):
    orm, engine = both(AS_OF)

    h = {key: household.pk for key, household in district.items()}
    assert orm == {
        ("medical_lifted", h["h1"], "2025"),
        ("medical_other", h["h5"], "2025"),
        ("education_cost", h["h1"], "2024-2025"),
        ("education_dropout", h["h1"], "2024-2025"),
        ("disability_new", h["h3"], "2024-04-01"),
        ("housing_unsafe", h["h3"], "2024-05-01"),
        ("disaster", h["h2"], "2024-12-01"),
        ("disaster", h["h4"], "2025-01-10"),
        ("employment_loss", h["h1"], "2025-01"),
        ("employment_loss", h["h4"], "2025-03"),
        ("assistance_new", h["h2"], "2024-04-01"),
        ("income_below_line", h["h1"], "2024"),
        ("income_below_line", h["h2"], "2024"),
        ("income_below_line", h["h6"], "2025"),
        ("income_drop", h["h2"], "2024"),
        ("income_drop", h["h6"], "2025"),
        ("vehicle", h["h4"], ""),
        ("deceased", h["h4"], ""),
        ("public_payroll", h["h5"], ""),
        ("business", h["h5"], ""),
    }
    assert orm == engine


@pytest.mark.parametrize(
    "as_of",
    [
        D(2024, 12, 31),  # 2025 rows after it; the latest income year is 2024
        D(2025, 2, 28),  # windows from 2024-02-29: the 2024-03-31 rows count, months 2024-12 … 2025-02
    ],
)
def test_it_agrees_with_the_engine_on_other_as_of_dates(district, as_of):
    orm, engine = both(as_of)

    assert orm and orm == engine


def test_it_can_evaluate_some_households_only(district):
    params = engine_params(policy_for(AS_OF.year).values)
    only = {district["h2"].pk, district["h4"].pk}

    found = evaluate(AS_OF, params, households=only)

    assert found and {household for _, household, _ in found} == only
    assert found == {i for i in engine_identities(AS_OF, params) if i[1] in only}
