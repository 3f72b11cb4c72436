"""The policy rules of monitoring cases (policy.md §1 and §7), as plain functions the actions call.

Every number comes from the year's settings (`policy_for`); messages are Chinese and name the rule.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from zhenxing.registry.models import HouseholdKind

CENT = Decimal("0.01")
INCOME_PARTS = ("wage_income", "business_income", "property_income", "transfer_income")
INCOME_LABELS = {
    "wage_income": "工资性收入",
    "business_income": "生产经营性收入",
    "property_income": "财产性收入",
    "transfer_income": "转移性收入",
    "production_costs": "生产经营性支出",
}
# Members with one of these can work: such a household can leave monitoring (rule 22) and gets
# development measures first; without any, 兜底 measures.
LABOUR_CAPABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")


def income_window(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The 12 full months before the month of `day` (rule 7): 2024-06-10 → 2023-06-01 … 2024-05-31."""
    first = day.replace(day=1)
    return first.replace(year=first.year - 1), first - datetime.timedelta(days=1)


def assess_income(amounts: dict, size: int) -> tuple[dict, Decimal, Decimal]:
    """(clean amounts, net income, per-capita net income) by rule 6; computed, never typed."""
    if size <= 0:
        raise ValidationError("家庭人口数须大于0")
    clean = {}
    for key, label in INCOME_LABELS.items():
        raw = amounts.get(key)
        if raw in (None, ""):
            raise ValidationError(f"请填写{label}（没有则填0）")
        try:
            value = Decimal(str(raw))
        except Exception:
            raise ValidationError(f"{label}须为金额") from None
        if not value.is_finite() or value < 0 or value != value.quantize(CENT):
            raise ValidationError(f"{label}须为不小于0、最多两位小数的金额")
        clean[key] = value
    net = sum((clean[k] for k in INCOME_PARTS), Decimal(0)) - clean["production_costs"]
    return clean, net, (net / size).quantize(CENT)


def check_type(
    *,
    household_kind: str,
    per_capita: Decimal,
    line: Decimal,
    monitoring_type: str,
    risk_types: list[str],
    main_risk: str,
    sudden_event: str,
    sudden_amount: Decimal | None,
) -> None:
    """Rules 1–5: one allowed type for the household and its income; at least one risk, one main."""
    from zhenxing.cases.models import MonitoringType, RiskType

    if monitoring_type not in MonitoringType.values:
        raise ValidationError("请选择监测对象类型：脱贫不稳定户、边缘易致贫户或突发严重困难户（政策规则1）")
    if not risk_types:
        raise ValidationError("请至少选择一项风险类型（政策规则5）")
    unknown = [r for r in risk_types if r not in RiskType.values]
    if unknown:
        raise ValidationError("风险类型须从规定的风险类型中选择（政策规则5）")
    if main_risk not in risk_types:
        raise ValidationError("请在所选风险类型中指定一项主要风险")
    if monitoring_type == MonitoringType.UNSTABLE_LIFTED and household_kind != HouseholdKind.LIFTED:
        raise ValidationError("“脱贫不稳定户”只能认定脱贫户；一般农户请选择“边缘易致贫户”（政策规则2）")
    if monitoring_type == MonitoringType.MARGINAL and household_kind == HouseholdKind.LIFTED:
        raise ValidationError("“边缘易致贫户”只能认定一般农户；脱贫户请选择“脱贫不稳定户”（政策规则2）")
    if monitoring_type in (MonitoringType.UNSTABLE_LIFTED, MonitoringType.MARGINAL) and per_capita >= line:
        raise ValidationError(
            f"测算人均纯收入{per_capita}元不低于监测范围{line}元，不能认定为"
            f"“{MonitoringType(monitoring_type).label}”；因突发事件基本生活严重困难的，请选择“突发严重困难户”（政策规则3）"
        )
    if monitoring_type == MonitoringType.SUDDEN_HARDSHIP:
        if not sudden_event.strip():
            raise ValidationError("突发严重困难户须写明突发事件（政策规则4）")
        if sudden_amount is None or sudden_amount <= 0:
            raise ValidationError("突发严重困难户须填写刚性支出或收入缩减金额（政策规则4）")


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from `start` to `end` (2024-01-31 → 2024-07-30 is 5, → 2024-07-31 is 6)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        # The last day of a shorter month completes the month (01-31 → 02-29 is one month).
        next_day = end + datetime.timedelta(days=1)
        if next_day.month == end.month:
            months -= 1
    return max(months, 0)


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    passed: bool
    value: str  # what the system found, in words
    required: str  # what the rule asks for


def has_labour(household) -> bool:
    from zhenxing.registry.models import Membership

    return Membership.objects.filter(
        household=household, end_date__isnull=True, person__labour_capacity__in=LABOUR_CAPABLE
    ).exists()


NO_LABOUR_REASON = "该户没有有劳动能力的成员（整户无劳动力），暂不标注风险消除，请继续落实综合保障（兜底）措施并持续跟踪（政策规则22）"


def elimination_criteria(case, today: datetime.date) -> list[Criterion]:
    """Rules 20–22 and the national criteria, each with its value, for the case as of `today`: measures
    started, incomes of years and verification visits after `today` do not count."""
    from zhenxing.cases.models import CARRIED_OUT, Lead, LeadStatus
    from zhenxing.policy.resolve import policy_for
    from zhenxing.registry.models import IncomeYear

    policy = policy_for(today.year)
    min_months = policy["elimination_min_months"]
    result = []

    months = months_between(case.identified_on, today) if case.identified_on else 0
    result.append(
        Criterion(
            "months",
            f"识别认定满{min_months}个月",
            case.identified_on is not None and months >= min_months,
            f"{case.identified_on:%Y-%m-%d}识别，已满{months}个月"
            if case.identified_on
            else "尚未完成识别认定",
            f"不少于{min_months}个月（政策规则20）",
        )
    )
    carried = case.measures.filter(status__in=CARRIED_OUT, start_date__lte=today).count()
    result.append(
        Criterion("measures", "落实帮扶措施", carried >= 1, f"已落实{carried}项", "至少一项（政策规则20）")
    )

    income = (
        IncomeYear.objects.filter(household=case.household, year__lte=today.year).order_by("-year").first()
    )
    if income is None:
        result.append(
            Criterion(
                "income",
                "人均纯收入超过监测范围",
                False,
                "尚无年度收入记录",
                "高于当年监测范围（政策规则21）",
            )
        )
    else:
        line = policy_for(income.year)["monitoring_line"]
        result.append(
            Criterion(
                "income",
                "人均纯收入超过监测范围",
                income.net_income_per_capita > line,
                f"{income.year}年人均纯收入{income.net_income_per_capita}元，当年监测范围{line}元",
                "高于当年监测范围（政策规则21）",
            )
        )
    latest = (
        case.visits.filter(is_verification=True, visited_on__lte=today).order_by("-visited_on", "-id").first()
    )
    if latest is None:
        missing = "尚未开展核实走访"
        result.append(
            Criterion("stable", "收入持续稳定", False, missing, "最近一次核实确认收入持续稳定半年以上")
        )
        result.append(
            Criterion(
                "guarantees", "两不愁三保障及饮水安全", False, missing, "最近一次核实全部有保障（政策规则21）"
            )
        )
        result.append(
            Criterion(
                "risks", "风险已消除且无新增风险", False, missing, "识别时的风险已消除、无新增风险和在办线索"
            )
        )
    else:
        when = f"{latest.visited_on:%Y-%m-%d}核实"
        result.append(
            Criterion(
                "stable",
                "收入持续稳定",
                latest.income_stable is True,
                f"{when}：{'收入持续稳定' if latest.income_stable else '收入尚不稳定'}",
                "最近一次核实确认收入持续稳定半年以上",
            )
        )
        from zhenxing.cases.models import GUARANTEES

        insecure = [label for key, label in GUARANTEES if latest.guarantees.get(key) is not True]
        result.append(
            Criterion(
                "guarantees",
                "两不愁三保障及饮水安全",
                not insecure,
                f"{when}：" + ("全部有保障" if not insecure else "未保障：" + "、".join(insecure)),
                "最近一次核实全部有保障（政策规则21）",
            )
        )
        open_leads = Lead.objects.filter(household=case.household, status=LeadStatus.OPEN).count()
        problems = []
        if latest.risks_resolved is not True:
            problems.append("识别时的风险尚未消除")
        if latest.new_risks.strip():
            problems.append(f"新增风险：{latest.new_risks.strip()}")
        if open_leads:
            problems.append(f"有{open_leads}条待处理的风险线索")
        result.append(
            Criterion(
                "risks",
                "风险已消除且无新增风险",
                not problems,
                f"{when}：" + ("原有风险已消除，无新增风险" if not problems else "；".join(problems)),
                "识别时的风险已消除、无新增风险和在办线索",
            )
        )
    labour = has_labour(case.household)
    result.append(
        Criterion(
            "labour",
            "家庭有劳动能力成员",
            labour,
            "有" if labour else "整户无劳动力",
            "整户无劳动力的暂不标注风险消除（政策规则22）",
        )
    )
    return result
