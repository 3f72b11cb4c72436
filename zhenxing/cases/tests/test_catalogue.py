"""The measure catalogue and its suggestions for a household plan (一户一策, policy §1.8)."""

import pytest

from zhenxing.cases import catalogue
from zhenxing.cases.models import Case, MeasureCategory, RiskType, Step
from zhenxing.cases.tests.helpers import LOW_INCOME, D, open_case, take
from zhenxing.registry.actions import remove_member
from zhenxing.registry.models import HEAD, Membership, Person
from zhenxing.registry.tests.change_helpers import person, register

pytestmark = pytest.mark.django_db

LABOUR = "家庭有劳动能力成员，优先开发式帮扶"
NO_LABOUR = "整户无劳动力，落实低保、特困供养等兜底保障"


def with_risks(cast, case: Case, risks: list[str], main: str) -> Case:
    """The home check finds `risks` (`main` first); a low income for any household size."""
    case = take(cast, case, Step.CONSENT)
    incomes = {**LOW_INCOME, "wage_income": "3000.00"}  # net 6900 yuan
    return take(cast, case, Step.HOME_CHECK, risk_types=risks, main_risk=main, incomes=incomes)


@pytest.fixture
def working(cast, village):
    """Default household: three members with 普通劳动力."""
    return open_case(cast, register(cast["village_cadre"], village))


@pytest.fixture
def no_labour(cast, village):
    members = [
        person(1, "王五", HEAD, labour_capacity="丧失劳动力", health="残疾"),
        person(2, "赵六", "配偶", female=True, labour_capacity="无劳动力"),
    ]
    return open_case(cast, register(cast["village_cadre"], village, number="H002", members=members))


def test_it_describes_every_category():
    assert list(catalogue.CATALOGUE) == MeasureCategory.values
    for entry in catalogue.CATALOGUE.values():
        assert entry.label == MeasureCategory(entry.category).label
        assert entry.description and entry.examples
    kinds = {key: entry.kind_label for key, entry in catalogue.CATALOGUE.items()}
    assert kinds == {
        "industry": "开发式帮扶",
        "employment": "开发式帮扶",
        "public_welfare_job": "开发式帮扶",
        "microcredit": "开发式帮扶",
        "health": "专项帮扶",
        "education": "专项帮扶",
        "housing": "专项帮扶",
        "water": "专项帮扶",
        "safety_net": "兜底保障",
        "social": "专项帮扶",
        "other": "专项帮扶",
    }


def test_it_maps_each_category_to_the_risks_it_answers():
    risks = {key: entry.risk_labels for key, entry in catalogue.CATALOGUE.items()}
    assert risks == {
        "industry": ["因产业项目失败"],
        "employment": ["因务工就业不稳"],
        "public_welfare_job": ["因务工就业不稳", "缺劳动力"],
        "microcredit": ["因产业项目失败"],
        "health": ["因病", "因残", "因意外事故"],
        "education": ["因学"],
        "housing": ["因灾", "住房安全"],
        "water": ["饮水安全"],
        "safety_net": ["因病", "因残", "缺劳动力"],
        "social": ["因灾", "因意外事故"],
        "other": ["其他"],
    }
    assert set(catalogue.RISK_CATEGORIES) == set(RiskType.values)


def test_it_suggests_the_risks_categories_then_development_for_a_working_household(cast, working):
    case = with_risks(cast, working, [RiskType.ILLNESS], RiskType.ILLNESS)
    assert catalogue.suggest(case) == [
        ("health", "针对主要风险“因病”"),
        ("safety_net", "针对主要风险“因病”"),
        ("industry", LABOUR),
        ("employment", LABOUR),
        ("public_welfare_job", LABOUR),
        ("microcredit", LABOUR),
    ]


def test_it_puts_the_main_risk_first(cast, working):
    risks = [RiskType.EDUCATION, RiskType.ILLNESS, RiskType.BUSINESS_FAILURE]
    case = with_risks(cast, working, risks, RiskType.BUSINESS_FAILURE)
    assert catalogue.suggest(case) == [
        ("industry", "针对主要风险“因产业项目失败”"),
        ("microcredit", "针对主要风险“因产业项目失败”"),
        ("education", "针对风险“因学”"),
        ("health", "针对风险“因病”"),
        ("safety_net", "针对风险“因病”"),
        ("employment", LABOUR),
        ("public_welfare_job", LABOUR),
    ]


def test_it_suggests_the_safety_net_first_and_no_development_without_labour(cast, no_labour):
    risks = [RiskType.LABOUR_SHORTAGE, RiskType.DISABILITY, RiskType.BUSINESS_FAILURE]
    case = with_risks(cast, no_labour, risks, RiskType.DISABILITY)
    assert catalogue.suggest(case) == [("safety_net", NO_LABOUR), ("health", "针对主要风险“因残”")]


def test_it_keeps_the_special_categories_without_labour(cast, no_labour):
    case = with_risks(cast, no_labour, [RiskType.WATER, RiskType.DISASTER], RiskType.DISASTER)
    assert catalogue.suggest(case) == [
        ("safety_net", NO_LABOUR),
        ("housing", "针对主要风险“因灾”"),
        ("social", "针对主要风险“因灾”"),
        ("water", "针对风险“饮水安全”"),
    ]


def test_it_counts_only_current_members_for_labour(cast, village):
    members = [
        person(1, "王五", HEAD, labour_capacity="丧失劳动力"),
        person(2, "王小五", "之子", born=D(1990, 1, 1), labour_capacity="普通劳动力"),
    ]
    household = register(cast["village_cadre"], village, number="H003", members=members)
    son = Person.objects.get(name="王小五")
    remove_member(cast["village_cadre"], household, son, Membership.EndReason.MOVED_AWAY, D(2025, 2, 1))
    case = with_risks(cast, open_case(cast, household), [RiskType.OTHER], RiskType.OTHER)
    assert catalogue.suggest(case) == [("safety_net", NO_LABOUR), ("other", "针对主要风险“其他”")]


def test_it_counts_weak_labour_as_labour(cast, village):
    members = [person(1, "王五", HEAD, labour_capacity="弱劳动力或半劳动力")]
    household = register(cast["village_cadre"], village, number="H004", members=members)
    case = with_risks(cast, open_case(cast, household), [RiskType.HOUSING], RiskType.HOUSING)
    assert catalogue.suggest(case) == [
        ("housing", "针对主要风险“住房安全”"),
        ("industry", LABOUR),
        ("employment", LABOUR),
        ("public_welfare_job", LABOUR),
        ("microcredit", LABOUR),
    ]
