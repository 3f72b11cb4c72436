"""The per-year policy parameters, as data.

Each `Parameter` names one setting a district admin may change per year. Values are stored JSON-safe
(`PolicyVersion.values`: Decimals as strings, lists of strings, "MM-DD" strings) and parsed to typed
Python values when read (`parse_values`). Adding a parameter is one entry here: years saved before it
existed read its default (see `resolve.policy_for`); no data migration is needed.

Kinds and their typed values:
- `money`: `Decimal` with 2 places, in the parameter's unit (yuan unless the unit says otherwise);
- `integer`: `int`;
- `percent`: `Decimal` such as `Decimal("60")` (meaning 60%), between 0 and 100 unless the parameter
  sets its own bounds;
- `multiplier`: `Decimal` such as `Decimal("1.5")`;
- `text`: `str`;
- `choice_list`: `tuple[str, ...]`, a non-empty subset of `choices`, in the order of `choices`;
- `month_day`: `MonthDay(month, day)`, stored as "MM-DD".
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from zhenxing.screening.engine.rules import RULES as SCREENING_RULES  # plain Python: no Django imports

MONEY, INTEGER, PERCENT, MULTIPLIER, TEXT, CHOICE_LIST, MONTH_DAY = (
    "money",
    "integer",
    "percent",
    "multiplier",
    "text",
    "choice_list",
    "month_day",
)
KINDS = (MONEY, INTEGER, PERCENT, MULTIPLIER, TEXT, CHOICE_LIST, MONTH_DAY)

IDENTIFICATION = "监测识别"
SCREENING = "部门筛查预警阈值"
DEADLINES = "时限"
FUNDS = "衔接资金"
LABELS = "名称与标签"
GROUPS = (IDENTIFICATION, SCREENING, DEADLINES, FUNDS, LABELS)

TEXT_MAX_LENGTH = 100
CENT = Decimal("0.01")
TOO_LARGE = Decimal("1e12")


class MonthDay(NamedTuple):
    """A day of the year without the year ("04-30"): disbursement checkpoints."""

    month: int
    day: int

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"

    def in_year(self, year: int) -> date:
        return date(year, self.month, self.day)

    @property
    def label(self) -> str:
        return f"{self.month}月{self.day}日"


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    group: str
    kind: str
    unit: str
    help: str
    default: Any  # the stored (JSON-safe) form
    choices: tuple[str, ...] | None = None
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None

    @property
    def title(self) -> str:
        """The label with its unit, as forms and messages show it: "监测范围（元/人·年）"."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


class InvalidValue(ValueError):
    """A value that does not fit its parameter; the message is Chinese and names the parameter."""


MONITORING_LINE_BY_YEAR = {2021: "6000", 2022: "6900", 2023: "7600", 2024: "8300"}
DEFAULT_YEAR = 2024  # the 2024 work plan's values are the defaults of every parameter

_LABOUR = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
_STAGES = ("小学", "初中", "高中", "中职", "高职", "本科及以上")

# fmt: off
# A table: one parameter per block, positional fields in the order of `Parameter`.
PARAMETERS: list[Parameter] = [
    # 监测识别
    Parameter(
        "monitoring_line", "监测范围", IDENTIFICATION, MONEY, "元/人·年",
        "家庭年人均纯收入低于此值的农户纳入监测范围；由省级每年公布（2021年6000元、2022年6900元、2023年7600元、2024年8300元）。",
        "8300.00", minimum=Decimal(0),
    ),
    Parameter(
        "elimination_min_months", "风险消除前最短监测时长", IDENTIFICATION, INTEGER, "个月",
        "自识别认定之日起满此月数，且至少落实一项帮扶措施，方可履行风险消除程序。",
        6, minimum=0, maximum=60,
    ),
    # 部门筛查预警阈值 (formats.md §4)
    # Rules are named by their Chinese labels (engine/rules.py); a label changes only with a new rule.
    Parameter(
        "screening_rules_enabled", "启用的筛查规则和比对项", SCREENING, CHOICE_LIST, "",
        "筛查时运行哪些预警规则和疑点比对项；未选中的规则不再产生新的预警或疑点，已有的预警不受影响。",
        [r.label for r in SCREENING_RULES], choices=tuple(r.label for r in SCREENING_RULES),
    ),
    Parameter(
        "medical_lifted_threshold", "脱贫户及监测户医疗个人自付预警线", SCREENING, MONEY, "元",
        "脱贫户或监测户成员在统计期内个人自付医疗费用合计达到（≥）此值时预警（因病）。",
        "5000.00", minimum=Decimal(0),
    ),
    Parameter(
        "medical_other_threshold", "其他农户医疗个人自付预警线", SCREENING, MONEY, "元",
        "其他农户成员在统计期内个人自付医疗费用合计达到（≥）此值时预警（因病）。",
        "20000.00", minimum=Decimal(0),
    ),
    Parameter(
        "medical_window_months", "医疗费用统计期", SCREENING, INTEGER, "个月",
        "统计截至筛查基准日前若干个月内的个人自付医疗费用。",
        12, minimum=1, maximum=60,
    ),
    Parameter(
        "education_cost_threshold", "在校生个人负担费用预警线", SCREENING, MONEY, "元",
        "下列学段在校生一个学年的个人负担费用超过（>）此值时预警（因学）。",
        "10000.00", minimum=Decimal(0),
    ),
    Parameter(
        "education_cost_stages", "个人负担费用预警学段", SCREENING, CHOICE_LIST, "",
        "对哪些学段的在校生检查个人负担费用。",
        ["高中", "中职", "高职", "本科及以上"], choices=_STAGES,
    ),
    Parameter(
        "education_dropout_stages", "辍学预警学段", SCREENING, CHOICE_LIST, "",
        "这些学段的学生在读状态为“辍学”时预警（因学）。",
        ["小学", "初中"], choices=_STAGES,
    ),
    Parameter(
        "disability_grades", "新增残疾预警等级", SCREENING, CHOICE_LIST, "",
        "统计期内新发这些等级残疾人证时预警（因残）。",
        ["一级", "二级"], choices=("一级", "二级", "三级", "四级"),
    ),
    Parameter(
        "disability_window_months", "新增残疾统计期", SCREENING, INTEGER, "个月",
        "残疾人证发证日期在筛查基准日前若干个月内的视为新增。",
        12, minimum=1, maximum=60,
    ),
    Parameter(
        "housing_unsafe_grades", "住房安全预警等级", SCREENING, CHOICE_LIST, "",
        "住房最近一次鉴定为这些等级时预警（住房安全）。",
        ["C", "D"], choices=("A", "B", "C", "D"),
    ),
    Parameter(
        "disaster_loss_threshold", "受灾直接经济损失预警线", SCREENING, MONEY, "元",
        "统计期内一次灾害直接经济损失达到（≥）此值时预警（因灾）。",
        "10000.00", minimum=Decimal(0),
    ),
    Parameter(
        "disaster_damage_levels", "房屋倒损预警情形", SCREENING, CHOICE_LIST, "",
        "统计期内房屋倒损情况为这些情形之一时预警（因灾），不论损失金额。",
        ["严重损坏", "倒塌"], choices=("一般损坏", "严重损坏", "倒塌"),
    ),
    Parameter(
        "disaster_window_months", "受灾统计期", SCREENING, INTEGER, "个月",
        "灾害发生日期在筛查基准日前若干个月内的计入。",
        12, minimum=1, maximum=60,
    ),
    Parameter(
        "employment_loss_window_months", "务工就业不稳统计期", SCREENING, INTEGER, "个月",
        "统计月份在筛查基准日前若干个月内的就业状态计入。",
        3, minimum=1, maximum=24,
    ),
    Parameter(
        "employment_loss_capacities", "务工就业不稳预警劳动能力", SCREENING, CHOICE_LIST, "",
        "脱贫户或监测户中具有这些劳动能力的成员出现下列就业状态时预警（因务工就业不稳）。",
        ["普通劳动力", "技能劳动力"], choices=_LABOUR,
    ),
    Parameter(
        "employment_loss_statuses", "务工就业不稳预警就业状态", SCREENING, CHOICE_LIST, "",
        "人社数据中的这些就业状态视为务工就业不稳。",
        ["失业", "返乡"], choices=("务工", "失业", "返乡", "公益性岗位"),
    ),
    Parameter(
        "assistance_types", "新纳入社会救助预警类型", SCREENING, CHOICE_LIST, "",
        "未纳入监测的农户成员在统计期内开始享受这些救助时预警（其他）。",
        ["低保", "特困"], choices=("低保", "特困", "临时救助"),
    ),
    Parameter(
        "assistance_window_months", "新纳入社会救助统计期", SCREENING, INTEGER, "个月",
        "救助开始日期在筛查基准日前若干个月内的视为新纳入。",
        12, minimum=1, maximum=60,
    ),
    Parameter(
        "income_drop_percent", "收入骤减预警降幅", SCREENING, PERCENT, "%",
        "最近一年人均纯收入比上一年下降达到（≥）此比例，且低于下一项所定倍数的监测范围时预警（收入）。",
        "30",
    ),
    Parameter(
        "income_drop_line_multiple", "收入骤减预警收入上限", SCREENING, MULTIPLIER, "倍监测范围",
        "收入骤减的农户，人均纯收入低于（<）监测范围的此倍数时才预警。",
        "1.5", minimum=Decimal("0.1"), maximum=Decimal(10),
    ),
    Parameter(
        "discrepancy_vehicle_types", "车辆疑点类型", SCREENING, CHOICE_LIST, "",
        "家庭成员登记了这些类型的车辆时列为疑点，须核实说明。",
        ["小型轿车", "中型客车"], choices=("小型轿车", "中型客车", "货车", "农用车", "摩托车"),
    ),
    Parameter(
        "discrepancy_property_uses", "不动产疑点用途", SCREENING, CHOICE_LIST, "",
        "家庭成员登记了这些用途的不动产时列为疑点，须核实说明。",
        ["住宅", "商业"], choices=("住宅", "商业", "其他"),
    ),
    Parameter(
        "discrepancy_business_types", "市场主体疑点类型", SCREENING, CHOICE_LIST, "",
        "家庭成员有存续的这些类型市场主体时列为疑点，不论注册资本。",
        ["有限责任公司", "股份有限公司"], choices=("个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社", "其他"),
    ),
    # 万元, like the 市场监管 feed's 注册资本(万元) column it is compared with.
    Parameter(
        "discrepancy_business_capital", "市场主体注册资本疑点线", SCREENING, MONEY, "万元",
        "家庭成员有存续的任何市场主体，注册资本达到（≥）此值时列为疑点。",
        "50.00", minimum=Decimal(0),
    ),
    # 时限
    Parameter(
        "identification_total_days", "识别认定总时限", DEADLINES, INTEGER, "天",
        "从发现风险线索之日起到完成县级审定，一般不超过此天数（自然日）。",
        15, minimum=1, maximum=90,
    ),
    Parameter(
        "notice_min_days", "村内公示最少天数", DEADLINES, INTEGER, "天",
        "识别认定和风险消除的村内公示不少于此天数。",
        5, minimum=1, maximum=30,
    ),
    Parameter(
        "home_verification_workdays", "入户核实时限", DEADLINES, INTEGER, "个工作日",
        "收到风险线索后完成入户核实和承诺授权的时限。",
        3, minimum=1, maximum=60,
    ),
    Parameter(
        "comparison_workdays", "信息比对时限", DEADLINES, INTEGER, "个工作日",
        "入户核实后完成部门信息比对的时限。",
        5, minimum=1, maximum=60,
    ),
    Parameter(
        "village_review_workdays", "民主评议和公示时限", DEADLINES, INTEGER, "个工作日",
        "信息比对后完成村民主评议和村内公示的时限。",
        5, minimum=1, maximum=60,
    ),
    Parameter(
        "township_review_workdays", "乡镇审核时限", DEADLINES, INTEGER, "个工作日",
        "公示结束后乡镇（街道）完成审核的时限。",
        2, minimum=1, maximum=60,
    ),
    Parameter(
        "county_approval_workdays", "县级审定时限", DEADLINES, INTEGER, "个工作日",
        "乡镇审核后区级完成审定的时限。",
        2, minimum=1, maximum=60,
    ),
    Parameter(
        "announcement_workdays", "公告时限", DEADLINES, INTEGER, "个工作日",
        "县级审定后发布公告并完成系统标注的时限。",
        2, minimum=1, maximum=60,
    ),
    Parameter(
        "visit_interval_days", "监测户走访频次", DEADLINES, INTEGER, "天",
        "帮扶责任人对监测户（含风险消除户中仍在落实措施的户）至少每隔此天数走访一次，逾期列入待办。",
        30, minimum=1, maximum=366,
    ),
    Parameter(
        "warning_verification_workdays", "预警核实时限", DEADLINES, INTEGER, "个工作日",
        "部门筛查预警下发后乡镇、村完成核实并登记结果的时限。",
        5, minimum=1, maximum=60,
    ),
    # 衔接资金
    Parameter(
        "industry_share_min", "产业发展资金占中央衔接资金比例下限", FUNDS, PERCENT, "%",
        "中央财政衔接资金用于产业发展的比例不低于此值。",
        "60",
    ),
    Parameter(
        "leading_industry_share_min", "主导产业资金占产业发展资金比例下限", FUNDS, PERCENT, "%",
        "产业发展资金中用于支持主导产业的比例不低于此值。",
        "60",
    ),
    Parameter(
        "project_reserve_ratio", "项目库储备比例", FUNDS, PERCENT, "%",
        "纳入项目库的项目资金规模不低于当年下达资金的此比例。",
        "120", minimum=Decimal(100), maximum=Decimal(500),
    ),
    Parameter(
        "project_notice_min_days", "项目公告最少天数", FUNDS, INTEGER, "天",
        "项目入库、计划等公告公示不少于此天数。",
        10, minimum=1, maximum=60,
    ),
    Parameter(
        "disbursement_checkpoint_1_percent", "第一个时序进度拨付比例", FUNDS, PERCENT, "%",
        "到第一个时序进度日期，资金拨付应达到的比例。",
        "35",
    ),
    Parameter(
        "disbursement_checkpoint_1_date", "第一个时序进度日期", FUNDS, MONTH_DAY, "",
        "格式为“月-日”，如 04-30。",
        "04-30",
    ),
    Parameter(
        "disbursement_checkpoint_2_percent", "第二个时序进度拨付比例", FUNDS, PERCENT, "%",
        "到第二个时序进度日期，资金拨付应达到的比例，不低于第一个。",
        "55",
    ),
    Parameter(
        "disbursement_checkpoint_2_date", "第二个时序进度日期", FUNDS, MONTH_DAY, "",
        "格式为“月-日”，须晚于第一个日期。",
        "06-30",
    ),
    Parameter(
        "disbursement_checkpoint_3_percent", "第三个时序进度拨付比例", FUNDS, PERCENT, "%",
        "到第三个时序进度日期，资金拨付应达到的比例，不低于第二个。",
        "80",
    ),
    Parameter(
        "disbursement_checkpoint_3_date", "第三个时序进度日期", FUNDS, MONTH_DAY, "",
        "格式为“月-日”，须晚于第二个日期。",
        "09-30",
    ),
    Parameter(
        "disbursement_reminder_days", "时序进度提前提醒天数", FUNDS, INTEGER, "天",
        "在每个时序进度日期前此天数提醒进度落后的项目。",
        15, minimum=0, maximum=90,
    ),
    # 名称与标签
    Parameter(
        "hotline_number", "咨询服务电话号码", LABELS, TEXT, "",
        "明白纸、公告和申报页上显示的电话号码。",
        "12317",
    ),
    Parameter(
        "hotline_name", "咨询服务电话名称", LABELS, TEXT, "",
        "明白纸、公告和申报页上显示的电话名称。",
        "防止返贫监测和乡村振兴咨询服务电话",
    ),
    Parameter(
        "monitoring_line_name", "监测范围名称", LABELS, TEXT, "",
        "页面、明白纸和报表中对监测收入线的称呼。",
        "防止返贫监测范围",
    ),
    Parameter(
        "monitoring_type_unstable_lifted_name", "监测对象类型一名称", LABELS, TEXT, "",
        "脱贫户中有返贫风险的监测对象类型的名称。",
        "脱贫不稳定户",
    ),
    Parameter(
        "monitoring_type_marginal_name", "监测对象类型二名称", LABELS, TEXT, "",
        "一般农户中有致贫风险的监测对象类型的名称。",
        "边缘易致贫户",
    ),
    Parameter(
        "monitoring_type_sudden_hardship_name", "监测对象类型三名称", LABELS, TEXT, "",
        "因突发事件基本生活严重困难的监测对象类型的名称。",
        "突发严重困难户",
    ),
]
# fmt: on

BY_KEY: dict[str, Parameter] = {p.key: p for p in PARAMETERS}
DEFAULTS: dict[str, Any] = {p.key: p.default for p in PARAMETERS}
CHECKPOINTS = (
    ("disbursement_checkpoint_1_percent", "disbursement_checkpoint_1_date"),
    ("disbursement_checkpoint_2_percent", "disbursement_checkpoint_2_date"),
    ("disbursement_checkpoint_3_percent", "disbursement_checkpoint_3_date"),
)


def defaults_for_year(year: int) -> dict[str, Any]:
    """The shipped defaults (stored form) for a year: the 2024 values with that year's line if known."""
    values = copy.deepcopy(DEFAULTS)  # the lists are the schema's own: callers may change their copy
    line = MONITORING_LINE_BY_YEAR.get(year)
    if line is not None:
        values["monitoring_line"] = to_storage(
            BY_KEY["monitoring_line"], parse(BY_KEY["monitoring_line"], line)
        )
    return values


def _decimal(p: Parameter, raw: Any) -> Decimal:
    if isinstance(raw, float):  # floats are never money: refuse rather than round silently
        raise InvalidValue(f"{p.title}须以文字形式填写，如“{p.default}”")
    try:
        value = Decimal(str(raw).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise InvalidValue(_number_message(p)) from None
    if not value.is_finite() or abs(value) >= TOO_LARGE:  # no policy number is this big; keeps quantize exact
        raise InvalidValue(_number_message(p))
    return value


def _number_message(p: Parameter) -> str:
    low, high = _bounds(p)
    noun = {MONEY: "金额", INTEGER: "整数", PERCENT: "百分比", MULTIPLIER: "倍数"}[p.kind]
    if p.kind == MONEY:
        return f"{p.title}须为不小于{low}的金额" if high is None else f"{p.title}须为{low}到{high}之间的金额"
    if high is None:
        return f"{p.title}须为不小于{low}的{noun}"
    return f"{p.title}须为{low}到{high}之间的{noun}"


def _bounds(p: Parameter) -> tuple[Decimal | int, Decimal | int | None]:
    if p.kind == PERCENT:
        return (p.minimum if p.minimum is not None else 0), (p.maximum if p.maximum is not None else 100)
    if p.kind == MULTIPLIER:
        return (p.minimum if p.minimum is not None else Decimal("0.1")), p.maximum
    return (p.minimum if p.minimum is not None else 0), p.maximum


def _check_range(p: Parameter, value: Decimal | int) -> None:
    low, high = _bounds(p)
    if value < low or (high is not None and value > high):
        raise InvalidValue(_number_message(p))


def parse(p: Parameter, raw: Any) -> Any:
    """A typed value from a stored value or user input; raises `InvalidValue` with a Chinese message."""
    if p.kind == CHOICE_LIST:
        return _parse_choice_list(p, raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidValue(f"请填写{p.title}")
    if p.kind == MONEY:
        value = _decimal(p, raw)
        _check_range(p, value)
        if value != value.quantize(CENT):
            raise InvalidValue(f"{p.title}最多保留两位小数（单位：{p.unit}）")
        return value.quantize(CENT)
    if p.kind == INTEGER:
        if isinstance(raw, bool):
            raise InvalidValue(_number_message(p))
        try:
            value = int(raw) if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            raise InvalidValue(_number_message(p)) from None
        _check_range(p, value)
        return value
    if p.kind in (PERCENT, MULTIPLIER):
        value = _decimal(p, raw)
        _check_range(p, value)
        if value != value.quantize(CENT):
            raise InvalidValue(f"{p.title}最多保留两位小数")
        return _plain_decimal(value)
    if p.kind == TEXT:
        value = str(raw).strip()
        if len(value) > TEXT_MAX_LENGTH:
            raise InvalidValue(f"{p.title}不能超过{TEXT_MAX_LENGTH}个字")
        return value
    if p.kind == MONTH_DAY:
        return _parse_month_day(p, raw)
    raise AssertionError(f"unknown parameter kind {p.kind!r}")


def _plain_decimal(value: Decimal) -> Decimal:
    """60.00 → 60, 1.50 → 1.5: one spelling per number, so a re-save of the same value is no change."""
    return Decimal(format(value.normalize(), "f"))


def _parse_choice_list(p: Parameter, raw: Any) -> tuple[str, ...]:
    assert p.choices is not None
    if raw is None or isinstance(raw, str):
        items = [s for s in str(raw or "").replace("，", ",").replace("、", ",").split(",")]
    else:
        items = [str(s) for s in raw]
    chosen = {s.strip() for s in items if s.strip()}
    unknown = sorted(chosen - set(p.choices))
    if unknown:
        raise InvalidValue(f"{p.title}只能从“{'、'.join(p.choices)}”中选择，“{'、'.join(unknown)}”不在其中")
    if not chosen:
        raise InvalidValue(f"{p.title}至少选择一项")
    return tuple(c for c in p.choices if c in chosen)


def _parse_month_day(p: Parameter, raw: Any) -> MonthDay:
    if isinstance(raw, MonthDay):
        return raw
    text = str(raw).strip().replace("/", "-").replace("月", "-").replace("日", "")
    parts = text.split("-")
    try:
        month, day = (int(x) for x in parts)
        date(2023, month, day)  # a common year: 02-29 would not exist every year
    except ValueError:
        raise InvalidValue(f"{p.title}须为有效的“月-日”，如 04-30") from None
    return MonthDay(month, day)


def to_storage(p: Parameter, value: Any) -> Any:
    """The JSON-safe stored form of a typed value."""
    if p.kind == MONEY:
        return str(value.quantize(CENT))
    if p.kind in (PERCENT, MULTIPLIER):
        return format(value.normalize(), "f")
    if p.kind == CHOICE_LIST:
        return list(value)
    if p.kind == MONTH_DAY:
        return str(value)
    return value


def parse_values(stored: Mapping[str, Any], fallback: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of every parameter: from `stored`, else from `fallback` (keys added later).

    Keys in `stored` that are no longer parameters are ignored.
    """
    return {p.key: parse(p, stored[p.key] if p.key in stored else fallback[p.key]) for p in PARAMETERS}


def display(p: Parameter, value: Any) -> str:
    """How a typed value reads on a page: "8300.00 元/人·年", "60%", "小学、初中", "4月30日"."""
    if p.kind == CHOICE_LIST:
        return "、".join(value)
    if p.kind == MONTH_DAY:
        return value.label
    if p.kind == PERCENT:
        return f"{to_storage(p, value)}%"
    text = to_storage(p, value) if p.kind in (MONEY, MULTIPLIER) else str(value)
    return f"{text} {p.unit}" if p.unit else text


def display_stored(key: str, stored: Any) -> str:
    """Like `display`, for a stored value (audit changes); unknown keys and bad values show as they are."""
    p = BY_KEY.get(key)
    if p is None or stored is None:
        return "—" if stored is None else str(stored)
    try:
        return display(p, parse(p, stored))
    except InvalidValue:
        return str(stored)


def to_input(p: Parameter, value: Any) -> Any:
    """The initial value of a form field for a typed value."""
    return list(value) if p.kind == CHOICE_LIST else str(to_storage(p, value))


def grouped(values: Mapping[str, Any]) -> list[tuple[str, list[tuple[Parameter, str]]]]:
    """[(group, [(parameter, displayed value)])] in schema order, for read-only pages."""
    groups: dict[str, list[tuple[Parameter, str]]] = {g: [] for g in GROUPS}
    for p in PARAMETERS:
        groups[p.group].append((p, display(p, values[p.key])))
    return [(g, rows) for g, rows in groups.items() if rows]


def keys_in(group: str) -> Iterable[str]:
    return [p.key for p in PARAMETERS if p.group == group]
