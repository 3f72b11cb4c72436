"""Policy.md §7 rules 1–26, one named test (or a small group) per rule, through the actions.

Every refusal runs inside `refused(...)`: the exact message, and nothing written (no case, lead, step,
event, notice, objection, discrepancy, measure, visit, registry or audit row; the case and household rows
unchanged). `refused`, `family`, `eligible` and the other helpers here are shared with test_actions.py and
test_deadlines.py.
"""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions, documents, rules
from zhenxing.cases.deadlines import days_overdue
from zhenxing.cases.models import (
    ELIMINATION_STEPS,
    GUARANTEES,
    IDENTIFICATION_STEPS,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    Discrepancy,
    DiscrepancyKind,
    Lead,
    LeadStatus,
    Measure,
    MeasureCategory,
    MeasureStatus,
    MonitoringType,
    Objection,
    Procedure,
    PublicNotice,
    RiskType,
    Step,
    StepRecord,
    Visit,
)
from zhenxing.cases.queries import board_counts
from zhenxing.cases.tests.helpers import (
    LOW_INCOME,
    ORDER,
    home_check,
    lead,
    monitored,
    open_case,
    scan,
    secure_visit,
    take,
    to_stage,
)
from zhenxing.lib import idnumbers
from zhenxing.policy.actions import save_policy
from zhenxing.policy.parameters import IDENTIFICATION, PARAMETERS, SCREENING
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.actions import add_member, record_income, remove_member
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    HouseholdKind,
    IncomeYear,
    Membership,
    MonitoringStatus,
    Person,
    PersonStatus,
)
from zhenxing.registry.tests.change_helpers import id_number, person, register

pytestmark = pytest.mark.django_db

D = datetime.date
VILLAGE = "鄂城区泽林镇新港村"
VERIFIED_ON = D(2025, 10, 10)  # the verification visit before elimination
STARTED_ON = D(2025, 10, 13)  # elimination starts

# --- nothing changed ----------------------------------------------------------------------------------

WATCHED = (
    Case,
    Lead,
    StepRecord,
    CaseEvent,
    PublicNotice,
    Objection,
    Discrepancy,
    Measure,
    Visit,
    AuditEntry,
    Household,
    Person,
    Membership,
    HouseholdEvent,
    IncomeYear,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


def rows(case) -> tuple:
    """The case row and its household's row, field by field."""
    if case is None:
        return ()
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        Household.objects.filter(pk=case.household_id).values().get(),
    )


@contextmanager
def refused(message: str, case=None, error=ValidationError):
    """The block is refused with exactly `message` and writes nothing."""
    before, fields = counts(), rows(case)
    with pytest.raises(error) as excinfo:
        yield excinfo
    assert getattr(excinfo.value, "messages", [str(excinfo.value)]) == [message]
    assert counts() == before
    assert rows(case) == fields


# --- households and cases -----------------------------------------------------------------------------


def family(cast, village, k=0, *, kind=HouseholdKind.ORDINARY, labour=("普通劳动力",) * 3) -> Household:
    """Household H{k:03d}: 3 members of its own (ID numbers 3k+1 … 3k+3)."""
    n = 3 * k + 1
    members = [
        person(n, "张三", HEAD, labour_capacity=labour[0]),
        person(n + 1, "李四", "配偶", female=True, labour_capacity=labour[1]),
        person(n + 2, "张小明", "之子", born=D(2005, 5, 5), labour_capacity=labour[2]),
    ]
    lifted_year = 2019 if kind == HouseholdKind.LIFTED else None
    return register(
        cast["village_cadre"], village, f"H{k:03d}", members=members, kind=kind, lifted_year=lifted_year
    )


@pytest.fixture
def household(cast, village):
    return family(cast, village)


def incomes(wage: str) -> dict:
    """Only wages: 3 members, so per capita = wage / 3."""
    return {
        "wage_income": wage,
        "business_income": "0",
        "property_income": "0",
        "transfer_income": "0",
        "production_costs": "0",
    }


def to_stage_from(cast, case: Case, stage: str) -> Case:
    """Take the case from its current stage up to `stage` (helpers.to_stage starts from the beginning)."""
    for step in ORDER[ORDER.index(case.stage) : ORDER.index(stage)]:
        case = take(cast, case, step)
    return case


def order_message(what: str, case: Case, now: str) -> str:
    return f"{what}须按顺序办理：案件{case.number}当前为“{now}”，不能办理此环节（政策规则9）"


def eligible(cast, household, *, measure=MeasureStatus.DONE, wage="36000", day=VERIFIED_ON, **visit):
    """Monitored since 2025-03-13 (helpers), with one measure, a 2025 income and a verification visit."""
    case = monitored(cast, household)
    cadre = cast["village_cadre"]
    actions.add_measure(
        cadre,
        case,
        actions.MeasureData(
            category=MeasureCategory.HEALTH,
            content="落实医疗救助和大病保险",
            responsible="区医保局",
            start_date=D(2025, 3, 20),
            status=measure,
        ),
    )
    record_income(cadre, household, 2025, incomes(wage))
    actions.record_visit(cadre, case, secure_visit(day, **visit))
    return Case.objects.get(pk=case.pk)


def eliminate(cast, case: Case, started_on=STARTED_ON) -> Case:
    """The whole elimination chain, one working day apart."""
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = actions.start_elimination(cadre, case, started_on=started_on)
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=12,
        votes_for=12,
        votes_against=0,
        minutes=[scan(cadre, case.area, "评议记录.pdf")],
    )
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = actions.township_review(township, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    case = actions.county_decision(
        county, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
    )
    return actions.announce(county, case, announced_on=D(2025, 10, 22))


# --- rules 1–5: type, income and risks -----------------------------------------------------------------


@pytest.mark.parametrize("monitoring_type", ["", "poor_household", "低保户"])
def test_rule_01_one_type_of_three(cast, household, monitoring_type):
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    message = "请选择监测对象类型：脱贫不稳定户、边缘易致贫户或突发严重困难户（政策规则1）"
    with refused(message, case):
        actions.record_home_check(
            cast["village_cadre"], case, home_check(D(2025, 3, 5), monitoring_type=monitoring_type)
        )


def test_rule_01_each_of_the_three_types_is_accepted(cast, village):
    assert MonitoringType.values == ["unstable_lifted", "marginal", "sudden_hardship"]
    cases = [
        (family(cast, village, 0, kind=HouseholdKind.LIFTED), MonitoringType.UNSTABLE_LIFTED, LOW_INCOME, {}),
        (family(cast, village, 1), MonitoringType.MARGINAL, LOW_INCOME, {}),
        (
            family(cast, village, 2),
            MonitoringType.SUDDEN_HARDSHIP,
            incomes("36000"),
            {"sudden_event": "房屋遭暴雨损毁", "sudden_amount": Decimal("50000.00")},
        ),
    ]
    for household, monitoring_type, amounts, extra in cases:
        case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
        case = actions.record_home_check(
            cast["village_cadre"],
            case,
            home_check(D(2025, 3, 5), monitoring_type=monitoring_type, incomes=amounts, **extra),
        )
        assert (case.stage, case.monitoring_type) == (Step.COMPARISON, monitoring_type)


def test_rule_02_unstable_lifted_requires_lifted_household(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    message = "“脱贫不稳定户”只能认定脱贫户；一般农户请选择“边缘易致贫户”（政策规则2）"
    with refused(message, case):
        actions.record_home_check(
            cast["village_cadre"],
            case,
            home_check(D(2025, 3, 5), monitoring_type=MonitoringType.UNSTABLE_LIFTED),
        )


def test_rule_02_marginal_requires_a_household_not_lifted(cast, village):
    lifted = family(cast, village, kind=HouseholdKind.LIFTED)
    case = to_stage(cast, open_case(cast, lifted), Step.HOME_CHECK)
    message = "“边缘易致贫户”只能认定一般农户；脱贫户请选择“脱贫不稳定户”（政策规则2）"
    with refused(message, case):
        actions.record_home_check(
            cast["village_cadre"], case, home_check(D(2025, 3, 5), monitoring_type=MonitoringType.MARGINAL)
        )
    case = actions.record_home_check(
        cast["village_cadre"], case, home_check(D(2025, 3, 5), monitoring_type=MonitoringType.UNSTABLE_LIFTED)
    )
    assert case.monitoring_type == MonitoringType.UNSTABLE_LIFTED


@pytest.mark.parametrize(
    ("kind", "monitoring_type", "label"),
    [
        (HouseholdKind.ORDINARY, MonitoringType.MARGINAL, "边缘易致贫户"),
        (HouseholdKind.LIFTED, MonitoringType.UNSTABLE_LIFTED, "脱贫不稳定户"),
    ],
)
def test_rule_03_income_must_be_below_the_line(cast, village, kind, monitoring_type, label):
    household = family(cast, village, kind=kind)
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    cadre = cast["village_cadre"]
    message = (
        f"测算人均纯收入8300.00元不低于监测范围8300.00元，不能认定为“{label}”；"
        "因突发事件基本生活严重困难的，请选择“突发严重困难户”（政策规则3）"
    )
    with refused(message, case):  # 24900 / 3 = 8300.00: at the line is not below it
        actions.record_home_check(
            cadre, case, home_check(D(2025, 3, 5), monitoring_type=monitoring_type, incomes=incomes("24900"))
        )
    case = actions.record_home_check(
        cadre, case, home_check(D(2025, 3, 5), monitoring_type=monitoring_type, incomes=incomes("24899.97"))
    )
    assert (case.assessed_per_capita, case.assessment_line) == (Decimal("8299.99"), Decimal("8300.00"))


def test_rule_03_line_of_2023_is_hubeis_7600(cast, household):
    cadre = cast["village_cadre"]
    case = actions.open_case(cadre, lead(cast, household, found_on=D(2023, 5, 4)), opened_on=D(2023, 5, 4))
    case = actions.record_consent(
        cadre, case, signed_on=D(2023, 5, 5), signer="户主本人", attachments=[scan(cadre, case.area)]
    )
    message = (
        "测算人均纯收入7600.00元不低于监测范围7600.00元，不能认定为“边缘易致贫户”；"
        "因突发事件基本生活严重困难的，请选择“突发严重困难户”（政策规则3）"
    )
    with refused(message, case):
        actions.record_home_check(cadre, case, home_check(D(2023, 5, 8), incomes=incomes("22800")))
    case = actions.record_home_check(cadre, case, home_check(D(2023, 5, 8), incomes=incomes("22799.97")))
    assert (case.assessed_per_capita, case.assessment_line) == (Decimal("7599.99"), Decimal("7600.00"))
    assert case.policy_version == policy_for(2023).version


def test_rule_03_line_is_the_years_setting(cast, household):
    save_policy(cast["district_admin"], 2025, {"monitoring_line": "9000"}, "省里公布2025年监测范围")
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    case = actions.record_home_check(
        cast["village_cadre"], case, home_check(D(2025, 3, 5), incomes=incomes("25500"))
    )
    assert (case.assessed_per_capita, case.assessment_line) == (Decimal("8500.00"), Decimal("9000.00"))


def test_rule_04_sudden_hardship_may_exceed_the_line_with_event_and_amount(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    cadre = cast["village_cadre"]

    def check(**kw):
        return home_check(
            D(2025, 3, 5),
            monitoring_type=MonitoringType.SUDDEN_HARDSHIP,
            incomes=incomes("36000"),
            risk_types=[RiskType.DISASTER],
            main_risk=RiskType.DISASTER,
            **kw,
        )

    with refused("突发严重困难户须写明突发事件（政策规则4）", case):
        actions.record_home_check(cadre, case, check(sudden_event="  ", sudden_amount=Decimal("50000")))
    for amount in (None, Decimal("0")):
        with refused("突发严重困难户须填写刚性支出或收入缩减金额（政策规则4）", case):
            actions.record_home_check(cadre, case, check(sudden_event="房屋遭暴雨损毁", sudden_amount=amount))
    case = actions.record_home_check(
        cadre, case, check(sudden_event="房屋遭暴雨损毁", sudden_amount=Decimal("50000.00"))
    )
    assert (case.monitoring_type, case.assessed_per_capita, case.sudden_event, case.sudden_amount) == (
        MonitoringType.SUDDEN_HARDSHIP,
        Decimal("12000.00"),
        "房屋遭暴雨损毁",
        Decimal("50000.00"),
    )


def test_rule_05_at_least_one_risk_from_the_list(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    cadre = cast["village_cadre"]
    with refused("请至少选择一项风险类型（政策规则5）", case):
        actions.record_home_check(cadre, case, home_check(D(2025, 3, 5), risk_types=[], main_risk=""))
    with refused("风险类型须从规定的风险类型中选择（政策规则5）", case):
        actions.record_home_check(
            cadre, case, home_check(D(2025, 3, 5), risk_types=["illness", "bad_luck"], main_risk="illness")
        )
    with refused("请在所选风险类型中指定一项主要风险", case):
        actions.record_home_check(
            cadre,
            case,
            home_check(D(2025, 3, 5), risk_types=[RiskType.ILLNESS], main_risk=RiskType.EDUCATION),
        )
    case = actions.record_home_check(
        cadre,
        case,
        home_check(
            D(2025, 3, 5),
            risk_types=[RiskType.ILLNESS, RiskType.EDUCATION, RiskType.ILLNESS],
            main_risk="illness",
        ),
    )
    assert (case.risk_types, case.main_risk) == (["illness", "education"], "illness")


def test_rule_05_a_lead_names_only_listed_risks(cast, household):
    with refused("风险类型须从规定的风险类型中选择"):
        lead(cast, household, risk_types=["bad_luck"])


# --- rules 6–8: income and consent ---------------------------------------------------------------------


def test_rule_06_per_capita_income_is_computed_not_typed(cast, household):
    assert "per_capita" not in actions.HomeCheck.__dataclass_fields__
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    amounts = {
        "wage_income": "8000.00",
        "business_income": "2500.50",
        "property_income": "100",
        "transfer_income": "1200",
        "production_costs": "1800.50",
    }  # (8000 + 2500.50 + 100 + 1200 − 1800.50) / 3 = 3333.33
    case = actions.record_home_check(cast["village_cadre"], case, home_check(D(2025, 3, 5), incomes=amounts))
    assert (case.assessed_size, case.assessed_net_income, case.assessed_per_capita) == (
        3,
        Decimal("10000.00"),
        Decimal("3333.33"),
    )
    record = StepRecord.objects.get(case=case, step=Step.HOME_CHECK)
    assert (
        record.data["net_income"],
        record.data["per_capita"],
        record.data["amounts"]["business_income"],
    ) == (
        "10000.00",
        "3333.33",
        "2500.50",
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("wage_income", "", "请填写工资性收入（没有则填0）"),
        ("transfer_income", "很多", "转移性收入须为金额"),
        ("production_costs", "-1", "生产经营性支出须为不小于0、最多两位小数的金额"),
        ("business_income", "10.001", "生产经营性收入须为不小于0、最多两位小数的金额"),
    ],
)
def test_rule_06_every_income_part_is_a_typed_amount(cast, household, key, value, message):
    case = to_stage(cast, open_case(cast, household), Step.HOME_CHECK)
    with refused(message, case):
        actions.record_home_check(
            cast["village_cadre"], case, home_check(D(2025, 3, 5), incomes=dict(LOW_INCOME, **{key: value}))
        )


def test_rule_07_income_window_is_the_twelve_months_before_the_month(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.COMPARISON)
    assert (case.income_window_start, case.income_window_end) == (D(2024, 3, 1), D(2025, 2, 28))
    assert StepRecord.objects.get(case=case, step=Step.HOME_CHECK).data["window"] == [
        "2024-03-01",
        "2025-02-28",
    ]
    assert rules.income_window(D(2024, 6, 10)) == (D(2023, 6, 1), D(2024, 5, 31))  # policy §1.4 example
    assert rules.income_window(D(2025, 1, 31)) == (D(2024, 1, 1), D(2024, 12, 31))
    assert rules.income_window(D(2024, 3, 1)) == (D(2023, 3, 1), D(2024, 2, 29))


def test_rule_08_consent_needs_the_signed_authorisation(cast, household):
    case = open_case(cast, household)
    cadre = cast["village_cadre"]
    with refused("请上传签字（按手印）的承诺授权书扫描件或照片（政策规则8）", case):
        actions.record_consent(cadre, case, signed_on=D(2025, 3, 4), signer="户主本人", attachments=[])
    file = scan(cadre, case.area)
    with refused("请填写签字人（户主或代签人）", case):
        actions.record_consent(cadre, case, signed_on=D(2025, 3, 4), signer=" ", attachments=[file])
    with refused(order_message("入户核实", case, "识别认定·承诺授权"), case):
        actions.record_home_check(cadre, case, home_check(D(2025, 3, 5)))
    case = actions.record_consent(cadre, case, signed_on=D(2025, 3, 4), signer="户主本人", attachments=[file])
    record = StepRecord.objects.get(case=case, step=Step.CONSENT)
    assert list(record.attachments.all()) == [file]
    assert case.stage == Step.HOME_CHECK


# --- rule 9: every step in order ------------------------------------------------------------------------

WHAT = {
    Step.CONSENT: "承诺授权",
    Step.HOME_CHECK: "入户核实",
    Step.COMPARISON: "信息比对",
    Step.REVIEW: "民主评议",
    Step.NOTICE: "村内公示",
    Step.TOWNSHIP: "乡镇审核",
    Step.COUNTY: "县级审定",
    Step.ANNOUNCEMENT: "公告",
}


def attempt(cast, case: Case, step: str, files) -> None:
    """Call the action of `step` with valid values (the day does not matter: order is checked first)."""
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    day = D(2025, 3, 20)
    if step == Step.CONSENT:
        actions.record_consent(cadre, case, signed_on=day, signer="户主本人", attachments=files)
    elif step == Step.HOME_CHECK:
        actions.record_home_check(cadre, case, home_check(day))
    elif step == Step.COMPARISON:
        actions.record_comparison(cadre, case, compared_on=day, note="")
    elif step == Step.REVIEW:
        actions.record_review(
            cadre, case, held_on=day, attendance=9, votes_for=9, votes_against=0, minutes=files
        )
    elif step == Step.NOTICE:
        actions.publish_notice(cadre, case, start=day, end=day + datetime.timedelta(days=5))
    elif step == Step.TOWNSHIP:
        actions.township_review(township, case, approve=True, reason="", reviewed_on=day)
    elif step == Step.COUNTY:
        actions.county_decision(county, case, decision=actions.APPROVE, reason="", decided_on=day)
    else:
        actions.announce(township, case, announced_on=day)


@pytest.mark.parametrize("stage", [*IDENTIFICATION_STEPS, Step.DONE])
def test_rule_09_no_step_can_be_skipped_or_repeated(cast, household, stage):
    case = to_stage(cast, open_case(cast, household), stage)
    files = [scan(cast["village_cadre"], case.area)]
    now = f"识别认定·{Step(stage).label}"
    noticed = ORDER.index(stage) > ORDER.index(Step.NOTICE)  # a second notice is refused by rule 11 first
    for step in IDENTIFICATION_STEPS:
        if step == stage:
            continue
        if step == Step.NOTICE and noticed:
            message = "本案件已于2025-03-07至2025-03-12开展村内公示，每个案件只公示一次（政策规则11）"
        else:
            message = order_message(WHAT[step], case, now)
        with refused(message, case):
            attempt(cast, case, step, files)


# --- rules 10–12: the village notice ---------------------------------------------------------------------


def test_rule_10_notice_of_4_days_refused_and_5_accepted(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.NOTICE)
    cadre = cast["village_cadre"]
    message = "公示期为2025-03-07至2025-03-11，共4天，村内公示不少于5天（政策规则10）"
    with refused(message, case):
        actions.publish_notice(cadre, case, start=D(2025, 3, 7), end=D(2025, 3, 11))
    notice = actions.publish_notice(cadre, case, start=D(2025, 3, 7), end=D(2025, 3, 12))
    assert (notice.start, notice.end, notice.days, notice.procedure) == (
        D(2025, 3, 7),
        D(2025, 3, 12),
        5,
        Procedure.IDENTIFICATION,
    )
    case.refresh_from_db()
    assert (case.stage, case.stage_since) == (Step.TOWNSHIP, D(2025, 3, 12))


def test_rule_10_township_reviews_only_after_the_notice_ends(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.TOWNSHIP)
    with refused("审核日期不能早于公示结束或报送日期（2025-03-12）", case):
        actions.township_review(
            cast["township_officer"], case, approve=True, reason="", reviewed_on=D(2025, 3, 11)
        )


def test_rule_10_minimum_is_the_years_setting(cast, household):
    save_policy(cast["district_admin"], 2025, {"notice_min_days": 7}, "本地要求公示7天")
    case = to_stage(cast, open_case(cast, household), Step.NOTICE)
    with refused("公示期为2025-03-07至2025-03-12，共5天，村内公示不少于7天（政策规则10）", case):
        actions.publish_notice(cast["village_cadre"], case, start=D(2025, 3, 7), end=D(2025, 3, 12))
    assert (
        actions.publish_notice(cast["village_cadre"], case, start=D(2025, 3, 7), end=D(2025, 3, 14)).days == 7
    )


def test_rule_11_one_notice_per_case(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.TOWNSHIP)
    cadre = cast["village_cadre"]
    message = "本案件已于2025-03-07至2025-03-12开展村内公示，每个案件只公示一次（政策规则11）"
    with refused(message, case):
        actions.publish_notice(cadre, case, start=D(2025, 3, 13), end=D(2025, 3, 18))
    # Returned by the township, the case is back at the notice stage: it is resubmitted, not re-noticed.
    case = actions.township_review(
        cast["township_officer"], case, approve=False, reason="收入佐证不全", reviewed_on=D(2025, 3, 12)
    )
    assert case.stage == Step.NOTICE
    with refused(message, case):
        actions.publish_notice(cadre, case, start=D(2025, 3, 13), end=D(2025, 3, 18))
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicNotice.objects.create(
            case=case,
            procedure=case.procedure,
            round=case.round,
            start=D(2025, 3, 13),
            end=D(2025, 3, 18),
            posted_by=cadre,
        )
    assert PublicNotice.objects.filter(case=case).count() == 1


def test_rule_11_district_cannot_publish_another_notice(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.NOTICE)
    message = "村内公示只在村内开展一次，由村干部发布；乡镇、区级不再另行公示（政策规则11）"
    for user in (cast["district_officer"], cast["district_admin"]):
        with refused(message, case):
            actions.publish_notice(user, case, start=D(2025, 3, 7), end=D(2025, 3, 12))


def test_rule_12_notice_announcement_and_history_hold_no_personal_data(cast, village):
    """The printed notice and announcement name the head of household, never an ID number (full or
    masked), phone or health status; nor do the event and step data or the audit changes they come from."""
    members = [
        person(1, "张三", HEAD, phone="13812345678", health="患有大病"),
        person(2, "李四", "配偶", female=True, health="残疾"),
        person(3, "张小明", "之子", born=D(2005, 5, 5)),
    ]
    household = register(cast["village_cadre"], village, "H001", members=members)
    case = monitored(cast, household)
    notice = PublicNotice.objects.get(case=case)
    notice_html = documents.render_notice_html(notice)
    announcement_html = documents.render_announcement_html(case, documents.county_approval(case))
    history = repr(
        [
            *CaseEvent.objects.filter(household=household).values_list("data", "reason"),
            *StepRecord.objects.filter(case=case).values_list("data", "reason"),
            *AuditEntry.objects.filter(action__startswith="cases.").values_list("changes", flat=True),
        ]
    )
    numbers = [id_number(1), id_number(2, True), id_number(3, born=D(2005, 5, 5))]
    secrets = [*numbers, *map(idnumbers.mask, numbers), "13812345678", "138****5678", "患有大病", "残疾"]
    for text in (notice_html, announcement_html, history):
        assert [secret for secret in secrets if secret in text] == []
    assert "张三" in notice_html and "张三" in announcement_html
    assert not {"id_number", "phone", "bank_account", "health"} & {f.name for f in PublicNotice._meta.fields}


# --- rules 13–16: deadline, warnings, thresholds, discrepancies -------------------------------------------


def test_rule_13_county_approval_after_total_due_records_days_over(cast, household):
    cadre = cast["village_cadre"]
    found = lead(cast, household, found_on=D(2025, 2, 24))
    case = actions.open_case(cadre, found, opened_on=D(2025, 3, 3))
    assert case.total_due == D(2025, 3, 11)  # found_on + 15 days
    case = to_stage(cast, case, Step.COUNTY)
    # Waiting for the county on 03-12, past total_due: the board counts it (rule 13).
    assert board_counts(cast["district_officer"], D(2025, 3, 12)).totals.total_overdue.value == 1
    assert board_counts(cast["district_officer"], D(2025, 3, 11)).totals.total_overdue.value == 0
    case = to_stage_from(cast, case, Step.DONE)
    assert case.identified_on == D(2025, 3, 13)
    assert days_overdue(case.total_due, case.identified_on) == 2
    record = StepRecord.objects.get(case=case, step=Step.COUNTY)
    event = CaseEvent.objects.get(case=case, step=Step.COUNTY)
    assert record.data["days_over_total"] == event.data["days_over_total"] == 2
    assert (
        AuditEntry.objects.filter(action="cases.step_done", changes__step="county")
        .get()
        .changes["days_over_total"]
        == 2
    )


def test_rule_13_approval_within_total_due_is_not_over(cast, household):
    case = monitored(cast, household)
    assert (case.total_due, case.identified_on) == (D(2025, 3, 18), D(2025, 3, 13))
    assert days_overdue(case.total_due, case.identified_on) == 0
    assert CaseEvent.objects.get(case=case, step=Step.COUNTY).data["days_over_total"] == 0


def test_rule_13_total_days_are_the_years_setting(cast, household):
    save_policy(cast["district_admin"], 2025, {"identification_total_days": 20}, "本地总时限20天")
    assert open_case(cast, household).total_due == D(2025, 3, 23)


def test_rule_14_department_warning_lead_belongs_to_a_village_and_closes_with_a_result(
    cast, household, village
):
    cadre = cast["village_cadre"]

    def warning(ref):
        return actions.record_lead(
            cadre,
            household,
            channel=Channel.DEPARTMENT_WARNING,
            description="医保：年度住院个人自付25000元",
            found_on=D(2025, 3, 3),
            found_by="区医保局",
            risk_types=[RiskType.ILLNESS],
            source_ref=ref,
        )

    first = warning("YJ2025000001")
    assert (first.area, first.channel, first.source_ref, first.status) == (
        village,
        Channel.DEPARTMENT_WARNING,
        "YJ2025000001",
        LeadStatus.OPEN,
    )
    with refused("请填写核实无风险的理由"):
        actions.close_lead(cadre, first, reason=" ", closed_on=D(2025, 3, 4))
    first = actions.close_lead(
        cadre, first, reason="已由大病保险报销，自付不足2000元", closed_on=D(2025, 3, 4)
    )
    assert (first.status, first.closed_reason, first.closed_on) == (
        LeadStatus.NOT_RISK,
        "已由大病保险报销，自付不足2000元",
        D(2025, 3, 4),
    )
    second = warning("YJ2025000002")
    case = actions.open_case(cadre, second, opened_on=D(2025, 3, 4))
    second.refresh_from_db()
    assert (second.status, second.case) == (LeadStatus.CASE_OPENED, case)
    with refused("只有农户自主申报可以不登录提交", error=PermissionDenied):
        actions.record_lead(
            None, household, channel=Channel.DEPARTMENT_WARNING, description="预警", found_on=D(2025, 3, 3)
        )


def test_rule_15_warning_thresholds_are_yearly_parameters_per_group(cast):
    screening = {p.key for p in PARAMETERS if p.group == SCREENING}
    assert {
        "medical_lifted_threshold",
        "medical_other_threshold",
        "education_cost_threshold",
        "housing_unsafe_grades",
        "disaster_loss_threshold",
    } <= screening
    save_policy(
        cast["district_admin"],
        2025,
        {"medical_lifted_threshold": "6000", "medical_other_threshold": "25000"},
        "2025年医保预警线调整",
    )
    before, after = policy_for(2024), policy_for(2025)
    assert (after["medical_lifted_threshold"], after["medical_other_threshold"]) == (
        Decimal("6000.00"),
        Decimal("25000.00"),
    )
    assert (before["medical_lifted_threshold"], before["medical_other_threshold"]) != (
        after["medical_lifted_threshold"],
        after["medical_other_threshold"],
    )


def test_rule_16_county_approval_waits_for_every_discrepancy(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.COMPARISON)
    case = take(
        cast, case, Step.COMPARISON, discrepancies=[(DiscrepancyKind.VEHICLE, "户主名下登记小型轿车一辆")]
    )
    item = Discrepancy.objects.get(case=case)
    for step in (Step.REVIEW, Step.NOTICE, Step.TOWNSHIP):
        case = take(cast, case, step)
    county, cadre = cast["district_officer"], cast["village_cadre"]
    with refused("该户有1条疑点尚未核实说明，核实后才能审定（政策规则16）", case):
        actions.county_decision(county, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 3, 13))
    with refused("请填写核实说明", case):
        actions.resolve_discrepancy(cadre, item, resolution="", resolved_on=D(2025, 3, 13))
    item = actions.resolve_discrepancy(
        cadre, item, resolution="车辆为2010年购入的二手面包车，残值不足1万元", resolved_on=D(2025, 3, 13)
    )
    assert (item.is_resolved, item.resolved_by) == (True, cadre)
    with refused("该疑点已核实说明", case):
        actions.resolve_discrepancy(cadre, item, resolution="再次说明", resolved_on=D(2025, 3, 13))
    case = actions.county_decision(
        county, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 3, 13)
    )
    assert (case.stage, case.identified_on) == (Step.ANNOUNCEMENT, D(2025, 3, 13))


def test_rule_16_a_screening_discrepancy_on_the_household_also_blocks(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.COUNTY)
    actions.record_discrepancy(
        None,
        household,
        kind=DiscrepancyKind.PUBLIC_PAYROLL,
        detail="成员在财政供养人员名单中",
        found_on=D(2025, 3, 12),
        source="screening",
    )
    with refused("该户有1条疑点尚未核实说明，核实后才能审定（政策规则16）", case):
        actions.county_decision(
            cast["district_officer"], case, decision=actions.APPROVE, reason="", decided_on=D(2025, 3, 13)
        )


# --- rules 17–19: the registry ----------------------------------------------------------------------------


def test_rule_17_deceased_member_leaves_a_monitored_household(cast, household):
    case = monitored(cast, household)
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.MONITORED
    son = Person.objects.get(memberships__household=household, memberships__relation="之子")
    remove_member(cast["village_cadre"], household, son, Membership.EndReason.DEATH, D(2025, 4, 1))
    membership = Membership.objects.get(household=household, person=son)
    son.refresh_from_db()
    household.refresh_from_db()
    assert (membership.end_date, membership.end_reason) == (D(2025, 4, 1), Membership.EndReason.DEATH)
    assert (son.status, son.status_date) == (PersonStatus.DECEASED, D(2025, 4, 1))
    assert household.member_count == 2
    assert not Membership.objects.filter(person=son, end_date__isnull=True).exists()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.MONITORED
    message = f"公民身份号码 {son.id_masked} 的人员已于 2025-04-01 登记死亡，不能增加为成员，请核对号码"
    with refused(message):
        add_member(
            cast["village_cadre"],
            household,
            person(3, "张小明", "之子", born=D(2005, 5, 5)),
            Membership.StartReason.MOVED_IN,
            D(2025, 4, 2),
        )


def test_rule_18_one_active_household_per_id_number(cast, village, household):
    head = Person.objects.get(memberships__household=household, memberships__relation=HEAD)
    message = f"张三（{head.id_masked}）已是户 H000 的在册成员，请先在原户办理减少成员"
    with refused(message):
        register(cast["village_cadre"], village, "H100", members=[person(1, "张三", HEAD)])
    other = family(cast, village, 5)
    with refused(f"张三（{head.id_masked}）已是户 H000 的在册成员，请先在该户办理减少成员"):
        add_member(
            cast["village_cadre"],
            other,
            person(1, "张三", "之子"),
            Membership.StartReason.MOVED_IN,
            D(2025, 1, 1),
        )


def test_rule_18_database_keeps_one_open_membership_per_person(cast, village, household):
    other = family(cast, village, 5)
    head = Person.objects.get(memberships__household=household, memberships__relation=HEAD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            household=other, person=head, relation="兄弟", start_date=D(2025, 1, 1), start_reason="moved_in"
        )


def test_rule_19_id_numbers_pass_the_gb11643_checksum(cast, village, household):
    good = id_number(40)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    message = f"公民身份号码校验码错误，应为{good[17]}（当前为{bad[17]}），请核对是否有抄错的数字"
    daughter = person(40, "王五", "之女", female=False)
    daughter.id_number = bad
    with refused(message):
        add_member(cast["village_cadre"], household, daughter, Membership.StartReason.BIRTH, D(2025, 1, 1))
    head = person(40, "王五", HEAD)
    head.id_number = bad
    # register_household is called with checked data (imports validate first): it raises the checker's error.
    with refused(message, error=idnumbers.InvalidIdNumber):
        register(cast["village_cadre"], village, "H100", members=[head])
    daughter.id_number = good
    member = add_member(
        cast["village_cadre"], household, daughter, Membership.StartReason.BIRTH, D(2025, 1, 1)
    )
    assert member.id_masked == idnumbers.mask(good)


# --- rules 20–22: when elimination may start ----------------------------------------------------------------


def test_rule_20_elimination_waits_six_full_months(cast, household):
    case = eligible(cast, household, day=D(2025, 9, 12))
    assert case.identified_on == D(2025, 3, 13)
    assert (
        rules.months_between(D(2025, 3, 13), D(2025, 9, 12)),
        rules.months_between(D(2025, 3, 13), D(2025, 9, 13)),
    ) == (5, 6)
    cadre = cast["village_cadre"]
    with refused("不符合风险消除条件：识别认定满6个月（2025-03-13识别，已满5个月）", case):
        actions.start_elimination(cadre, case, started_on=D(2025, 9, 12))
    case = actions.start_elimination(cadre, case, started_on=D(2025, 9, 13))
    assert (case.status, case.elimination_started_on) == (CaseStatus.ELIMINATING, D(2025, 9, 13))
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ELIMINATION_STARTED)
    assert event.data["criteria"]["months"] == "2025-03-13识别，已满6个月"


def test_rule_20_months_are_the_years_setting(cast, household):
    save_policy(cast["district_admin"], 2025, {"elimination_min_months": 3}, "试点缩短为3个月")
    case = eligible(cast, household, day=D(2025, 6, 13))
    case = actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 6, 13))
    assert case.status == CaseStatus.ELIMINATING


def test_rule_20_elimination_needs_a_carried_out_measure(cast, household):
    case = eligible(cast, household, measure=MeasureStatus.PLANNED)
    with refused("不符合风险消除条件：落实帮扶措施（已落实0项）", case):
        actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))
    measure = Measure.objects.get(case=case)
    actions.update_measure(cast["village_cadre"], measure, status=MeasureStatus.IN_PROGRESS)
    case = actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))
    assert case.status == CaseStatus.ELIMINATING


def test_rule_21_income_must_be_above_the_line(cast, household):
    case = eligible(cast, household, wage="24900")  # 8300.00 per person: not above 8300
    message = "不符合风险消除条件：人均纯收入超过监测范围（2025年人均纯收入8300.00元，当年监测范围8300.00元）"
    with refused(message, case):
        actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))


def test_rule_21_every_guarantee_must_be_secure(cast, household):
    guarantees = {key: key != "housing" for key, _ in GUARANTEES}
    case = eligible(cast, household, guarantees=guarantees)
    message = "不符合风险消除条件：两不愁三保障及饮水安全（2025-10-10核实：未保障：住房安全有保障）"
    with refused(message, case):
        actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))


def test_rule_21_criteria_count_only_what_was_known_on_the_day(cast, household):
    """Regression: a start dated before the verification visit (or a measure, or a year's income) cannot
    rest on it."""
    case = eligible(cast, household)  # visit 2025-10-10, measure from 2025-03-20, income of 2025
    missing = "尚未开展核实走访"
    message = (
        f"不符合风险消除条件：收入持续稳定（{missing}）；两不愁三保障及饮水安全（{missing}）；"
        f"风险已消除且无新增风险（{missing}）"
    )
    with refused(message, case):
        actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 9))
    criteria = {c.key: c for c in rules.elimination_criteria(case, D(2025, 3, 19))}
    assert (criteria["measures"].passed, criteria["measures"].value) == (False, "已落实0项")
    assert {c.key: c.value for c in rules.elimination_criteria(case, D(2024, 12, 31))}[
        "income"
    ] == "尚无年度收入记录"
    assert all(c.passed for c in rules.elimination_criteria(case, STARTED_ON))


def test_rule_22_household_without_labour_is_not_eliminated(cast, village):
    household = family(cast, village, labour=("丧失劳动力", "无劳动力", "丧失劳动力"))
    case = eligible(cast, household)
    with refused(rules.NO_LABOUR_REASON, case):
        actions.start_elimination(cast["village_cadre"], case, started_on=D(2025, 10, 13))


def test_rule_22_county_refuses_when_the_last_labour_capable_member_died(cast, village):
    household = family(cast, village, labour=("丧失劳动力", "无劳动力", "普通劳动力"))
    case = eligible(cast, household)
    cadre, township = cast["village_cadre"], cast["township_officer"]
    case = actions.start_elimination(cadre, case, started_on=D(2025, 10, 13))
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    son = Person.objects.get(memberships__household=household, memberships__relation="之子")
    remove_member(cadre, household, son, Membership.EndReason.DEATH, D(2025, 10, 14))
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=12,
        votes_for=12,
        votes_against=0,
        minutes=[scan(cadre, case.area)],
    )
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = actions.township_review(township, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    with refused("不符合风险消除条件：家庭有劳动能力成员（整户无劳动力）", case):
        actions.county_decision(
            cast["district_officer"], case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
        )


# --- rules 23–26: the elimination chain, keeping records, relapse, no quota ---------------------------------


def test_rule_23_elimination_follows_the_chain_in_order(cast, household):
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = actions.start_elimination(cadre, eligible(cast, household), started_on=D(2025, 10, 13))
    files = [scan(cadre, case.area)]
    day = D(2025, 10, 20)
    tries = {
        "村内公示": lambda: actions.publish_notice(
            cadre, case, start=day, end=day + datetime.timedelta(days=5)
        ),
        "民主评议": lambda: actions.record_review(
            cadre, case, held_on=day, attendance=9, votes_for=9, votes_against=0, minutes=files
        ),
        "乡镇审核": lambda: actions.township_review(township, case, approve=True, reason="", reviewed_on=day),
        "县级审定": lambda: actions.county_decision(
            county, case, decision=actions.APPROVE, reason="", decided_on=day
        ),
        "公告": lambda: actions.announce(county, case, announced_on=day),
        "承诺授权": lambda: actions.record_consent(
            cadre, case, signed_on=day, signer="户主", attachments=files
        ),
        "信息比对": lambda: actions.record_comparison(cadre, case, compared_on=day, note=""),
    }
    for what, call in tries.items():
        with refused(order_message(what, case, "风险消除·入户核实"), case):
            call()
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    with refused(order_message("村内公示", case, "风险消除·民主评议"), case):
        tries["村内公示"]()
    with refused(order_message("入户核实", case, "风险消除·民主评议"), case):
        actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 15)))
    case = actions.record_review(
        cadre, case, held_on=D(2025, 10, 15), attendance=12, votes_for=12, votes_against=0, minutes=files
    )
    with refused(order_message("乡镇审核", case, "风险消除·村内公示"), case):
        tries["乡镇审核"]()
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = Case.objects.get(pk=case.pk)
    with refused(order_message("县级审定", case, "风险消除·乡镇审核"), case):
        tries["县级审定"]()
    case = actions.township_review(township, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    with refused(order_message("公告", case, "风险消除·县级审定"), case):
        tries["公告"]()
    case = actions.county_decision(
        county, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
    )
    case = actions.announce(county, case, announced_on=D(2025, 10, 22))
    steps = StepRecord.objects.filter(case=case, procedure=Procedure.ELIMINATION).values_list(
        "step", flat=True
    )
    assert tuple(steps) == ELIMINATION_STEPS
    assert (case.status, case.identified_on, case.eliminated_on) == (
        CaseStatus.ELIMINATED,
        D(2025, 3, 13),
        D(2025, 10, 22),
    )


def test_rule_24_eliminated_cases_stay(cast, household):
    case = eliminate(cast, eligible(cast, household))
    assert [name for name in dir(actions) if "delete" in name or "remove" in name] == []
    with pytest.raises(ProtectedError):
        Case.objects.filter(pk=case.pk).delete()
    with pytest.raises(ProtectedError):
        Household.objects.filter(pk=household.pk).delete()
    cadre = cast["village_cadre"]
    measure = actions.add_measure(
        cadre,
        case,
        actions.MeasureData(
            category=MeasureCategory.MICROCREDIT,
            content="脱贫人口小额信贷5万元，合同期内继续贴息",
            responsible="区农商行",
            start_date=D(2025, 11, 3),
            status=MeasureStatus.IN_PROGRESS,
        ),
    )
    visit = actions.record_visit(
        cadre, case, actions.VisitData(visited_on=D(2025, 11, 4), findings="回访，生产经营正常")
    )
    case.refresh_from_db()
    assert (measure.before_approval, measure.case, visit.case) == (False, case, case)
    assert (case.status, case.is_open, case.eliminated_on) == (CaseStatus.ELIMINATED, False, D(2025, 10, 22))
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))[-3:] == [
        "eliminated",
        "measure_added",
        "visit",
    ]


def test_rule_25_rollback_needs_the_county_and_a_reason(cast, household):
    case = eligible(cast, household)
    county = cast["district_officer"]
    with refused("只有风险已消除的案件可以回退", case):
        actions.rollback(county, case, reason="低保兜底", rolled_back_on=D(2025, 11, 3))
    case = eliminate(cast, case)
    with refused("请填写回退原因", case):
        actions.rollback(county, case, reason=" ", rolled_back_on=D(2025, 11, 3))
    with refused("您的角色无权办理此事项", case, error=PermissionDenied):
        actions.rollback(cast["township_officer"], case, reason="低保兜底", rolled_back_on=D(2025, 11, 3))
    case = actions.rollback(county, case, reason="低保兜底仍需持续帮扶", rolled_back_on=D(2025, 11, 3))
    assert (case.status, case.is_open, case.rollbacks, case.eliminated_on) == (
        CaseStatus.MONITORED,
        True,
        1,
        None,
    )
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ROLLED_BACK)
    assert (event.reason, event.effective_date, event.actor) == (
        "低保兜底仍需持续帮扶",
        D(2025, 11, 3),
        county,
    )


def test_rule_25_new_risk_after_elimination_opens_a_linked_case(cast, household):
    old = eliminate(cast, eligible(cast, household))
    new = actions.open_case(
        cast["village_cadre"],
        lead(
            cast,
            household,
            found_on=D(2025, 12, 1),
            description="户主务工受伤，收入骤减",
            risk_types=[RiskType.ACCIDENT],
        ),
        opened_on=D(2025, 12, 1),
    )
    assert (new.previous_case, new.is_relapse, new.status, new.stage) == (
        old,
        True,
        CaseStatus.IDENTIFYING,
        Step.CONSENT,
    )
    event = CaseEvent.objects.get(case=new, kind=CaseEvent.Kind.OPENED)
    assert (event.data["previous_case"], event.data["relapse"]) == (old.number, True)
    with refused("该户已有新的在办案件，请在新案件中办理", old):
        actions.rollback(cast["district_officer"], old, reason="低保兜底", rolled_back_on=D(2025, 12, 2))


def test_rule_26_no_quota(cast, village):
    cases = [monitored(cast, family(cast, village, k)) for k in range(12)]
    assert [c.status for c in cases] == [CaseStatus.MONITORED] * 12
    assert Household.objects.filter(area=village, monitoring_status=MonitoringStatus.MONITORED).count() == 12
    # The yearly settings have no cap or share of households (policy: 不得设置规模限制、风险消除不设置比例要求).
    assert [p.key for p in PARAMETERS if p.group == IDENTIFICATION] == [
        "monitoring_line",
        "elimination_min_months",
    ]
