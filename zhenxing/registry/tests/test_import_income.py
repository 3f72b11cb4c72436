"""The `家庭收入` importer: sizes per year, every error class, the national household export, a workbook
that carries its households too, re-imports."""

import datetime
from decimal import Decimal

import pytest

from zhenxing.audit.actions import verify
from zhenxing.audit.models import AuditEntry
from zhenxing.registry import importing
from zhenxing.registry.history import incomes_on, size_for_year
from zhenxing.registry.models import Household, HouseholdEvent, IncomeYear, Membership
from zhenxing.registry.tests.import_helpers import (
    OTHER_HEAD,
    OTHER_VILLAGE,
    csv_file,
    errors_of,
    family,
    income,
    member,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


def households(cast, county, rows):
    plan = importing.validate_households(csv_file(rows), "户籍.csv", county)
    assert plan.errors == []
    importing.commit_households(cast["district_admin"], plan)


@pytest.fixture
def registered(cast, county, village):
    """H001: three members; H002: one member."""
    households(cast, county, [*family("H001"), member("H002", OTHER_HEAD, name="王五")])


def check(rows, scope):
    return importing.validate_income(csv_file(rows), "收入.csv", scope)


def test_it_computes_and_commits_yearly_incomes_with_history(cast, county, registered):
    rows = [income("H001", 2023), income("H001", 2024, 人均纯收入="8166.67"), income("H002", 2024)]
    plan = check(rows, county)
    assert plan.errors == []
    assert [
        (i.number, i.year, i.household_size, i.net_income, i.net_income_per_capita) for i in plan.incomes
    ] == [
        ("H001", 2023, 3, Decimal("24500.00"), Decimal("8166.67")),
        ("H001", 2024, 3, Decimal("24500.00"), Decimal("8166.67")),
        ("H002", 2024, 1, Decimal("24500.00"), Decimal("24500.00")),
    ]
    result = importing.commit_income(cast["district_admin"], plan)
    assert result == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0}
    stored = IncomeYear.objects.get(household__number="H001", year=2024)
    assert (stored.household_size, stored.net_income, stored.net_income_per_capita) == (
        3,
        Decimal("24500.00"),
        Decimal("8166.67"),
    )
    assert stored.recorded_by == cast["district_admin"]
    h1 = Household.objects.get(number="H001")
    events = HouseholdEvent.objects.filter(household=h1, kind="income_recorded").order_by("id")
    assert [e.data["year"] for e in events] == [2023, 2024]
    assert events[1].data["after"]["net_income_per_capita"] == "8166.67"
    assert events[1].snapshot["household"]["number"] == "H001"
    assert len(events[1].snapshot["members"]) == 3
    assert [(e.area_code, e.lifted_labour) for e in events] == [(h1.area.code, None)] * 2  # 一般农户
    assert [i["year"] for i in incomes_on(h1, datetime.date.today())] == [2023, 2024]
    assert AuditEntry.objects.filter(action="household_income_recorded").count() == 3
    assert verify() == (AuditEntry.objects.count(), None)


def test_it_uses_the_registered_size_for_years_before_registration(registered):
    """Imported today, the members have no history before today: earlier years take today's size."""
    h1 = Household.objects.get(number="H001")
    assert size_for_year(h1.pk, 2022) == 0
    sizes = importing.sizes_for_years({(h1.pk, 2022), (h1.pk, datetime.date.today().year)})
    assert sizes == {(h1.pk, 2022): 3, (h1.pk, datetime.date.today().year): 3}


def test_it_counts_members_in_that_year(registered):
    """A member who left in 2023 counts for 2022 but not for 2024 (as `history.size_for_year`)."""
    h1 = Household.objects.get(number="H001")
    Membership.objects.filter(household=h1).update(start_date=datetime.date(2020, 1, 1))
    Membership.objects.filter(household=h1, relation="之子").update(
        end_date=datetime.date(2023, 6, 1), end_reason="moved_away"
    )
    sizes = importing.sizes_for_years({(h1.pk, 2022), (h1.pk, 2024)}, today=datetime.date(2025, 3, 1))
    assert sizes == {(h1.pk, 2022): 3, (h1.pk, 2024): 2}
    assert [size_for_year(h1.pk, y, today=datetime.date(2025, 3, 1)) for y in (2022, 2024)] == [3, 2]


def test_it_reports_every_income_error_class(county, registered):
    this_year = datetime.date.today().year
    rows = [
        income("H999"),  # unknown household
        income("H001", 2024, 工资性收入="-5"),
        income("H001", 2023, 财产性收入="12.345"),
        income("H001", 2022, 人均纯收入="9000"),
        income("H002", 2024, 计划生育金="100", 低保金="1000"),  # 1100 ≠ 1200
        income("H002", 2024),  # duplicate household + year
        income("H002", 2013),
        income("H002", 2021, 生产经营性支出=""),
        income("H002", 2020, 纯收入="30000"),
    ]
    plan = check(rows, county)
    assert errors_of(plan) == [
        (
            2,
            "户编号",
            "户编号 H999 不在您管辖范围内的台账中，本次导入的户籍成员中也没有：请核对户编号，或先导入该户的户籍成员",
        ),
        (3, "工资性收入", "金额不能为负数：请填写0或正数"),
        (4, "财产性收入", "金额最多两位小数：请保留到分（如 1234.56）"),
        (
            5,
            "人均纯收入",
            "人均纯收入填写为9000.00元，按各项收入和家庭人口数（3人）计算应为8166.67元，相差超过1元：请核对各项收入或人均纯收入",
        ),
        (
            6,
            "转移性收入",
            "转移性收入明细合计1100.00元（计划生育金100.00元 + 低保金1000.00元），与转移性收入1200.00元不一致："
            "请核对转移性收入或各明细",
        ),
        (7, "年度", "户 H002 的2024年度收入已在第6行填写：同一户同一年度只能填一行，请删除重复的行"),
        (8, "年度", f"年度应为2014—{this_year}之间的4位年份，当前为“2013”：请核对"),
        (9, "生产经营性支出", "未填写生产经营性支出：没有这项收入（支出）请填0"),
        (
            10,
            "纯收入",
            "纯收入填写为30000.00元，按各项收入计算应为24500.00元（工资性+生产经营性+财产性+转移性−生产经营性支出），"
            "相差超过1元：请核对各项收入或纯收入",
        ),
    ]
    assert plan.error_households() == {"H999", "H001", "H002"}


def test_it_accepts_a_per_capita_within_one_yuan(county, registered):
    plan = check(
        [income("H001", 2024, 人均纯收入="8167.60"), income("H002", 2024, 人均纯收入="24499.00")], county
    )
    assert plan.errors == []


def test_it_refuses_a_household_outside_the_scope(cast, county, township, village, other_village):
    households(cast, county, [member("H900", OTHER_HEAD, **{"行政区划代码": OTHER_VILLAGE})])
    plan = check([income("H900")], township)
    assert errors_of(plan) == [
        (
            2,
            "户编号",
            "户编号 H900 不在您管辖范围内的台账中，本次导入的户籍成员中也没有：请核对户编号，或先导入该户的户籍成员",
        )
    ]


def test_it_reads_the_national_household_export(cast, county, registered):
    """§3.3 headers: 五保金 and 养老金 spellings, 纯收入 checked, sub-items kept, other columns noticed."""
    row = {
        "省": "湖北省",
        "户编号": "H001",
        "年度": "2023",
        "家庭人口数": "3",
        "工资性收入": "20000",
        "生产经营性收入": "5000",
        "财产性收入": "300",
        "转移性收入": "1200",
        "计划生育金": "0",
        "低保金": "600",
        "五保金": "",
        "养老金": "600",
        "生态补偿金": "",
        "其他转移性收入": "",
        "生产经营性支出": "2000",
        "纯收入": "24500.4",
        "人均纯收入": "8166.67",
        "资产收益扶贫分红收入": "0",
    }
    plan = importing.validate_income(csv_file([row], encoding="gb18030"), "户表.csv", county)
    assert plan.errors == []
    assert plan.notices == ["以下列不属于模板，已忽略（不影响导入）：省、家庭人口数、资产收益扶贫分红收入"]
    importing.commit_income(cast["district_admin"], plan)
    stored = IncomeYear.objects.get()
    assert stored.transfer_items == {"计划生育金": "0.00", "低保金": "600.00", "养老保险金": "600.00"}


def test_a_workbook_with_both_sheets_imports_households_first(cast, county, village):
    data = xlsx_file({"户籍成员": family("H001"), "家庭收入": [income("H001", 2024)]})
    plan = importing.validate_income(data, "全户.xlsx", county)
    assert plan.all_errors == []
    assert plan.incomes[0].household_size == 3
    assert plan.summary()["households_new"] == 1
    result = importing.commit_income(cast["district_admin"], plan)
    assert result == {
        "households_created": 1,
        "households_updated": 0,
        "households_unchanged": 0,
        "households_persons": 3,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert IncomeYear.objects.get().household.number == "H001"


def test_errors_in_the_household_sheet_block_that_households_income(cast, county, village):
    rows = [*family("H001"), member("H002", OTHER_HEAD, **{"健康状况": "感冒"})]
    data = xlsx_file({"户籍成员": rows, "家庭收入": [income("H001"), income("H002")]})
    plan = importing.validate_income(data, "全户.xlsx", county)
    assert [(e.sheet, e.row, e.column) for e in plan.all_errors] == [("户籍成员", 5, "健康状况")]
    result = importing.commit_income(cast["district_admin"], plan, only_valid=True)
    assert (result["households_created"], result["created"], result["skipped"]) == (1, 1, 1)
    assert list(Household.objects.values_list("number", flat=True)) == ["H001"]


def test_it_updates_a_changed_year_and_skips_an_unchanged_one(cast, county, registered):
    importing.commit_income(
        cast["district_admin"], check([income("H001", 2023), income("H001", 2024)], county)
    )
    events = HouseholdEvent.objects.count()
    plan = check([income("H001", 2023), income("H001", 2024, 工资性收入="23000")], county)
    assert [i.action for i in plan.incomes] == ["unchanged", "update"]
    result = importing.commit_income(cast["district_admin"], plan)
    assert result == {"created": 0, "updated": 1, "unchanged": 1, "skipped": 0}
    event = HouseholdEvent.objects.latest("id")
    assert event.data["before"]["wage_income"] == "20000.00"
    assert event.data["after"]["wage_income"] == "23000.00"
    assert event.data["after"]["net_income_per_capita"] == "9166.67"
    assert HouseholdEvent.objects.count() == events + 1
    again = check([income("H001", 2023), income("H001", 2024, 工资性收入="23000")], county)
    assert [i.action for i in again.incomes] == ["unchanged", "unchanged"]
