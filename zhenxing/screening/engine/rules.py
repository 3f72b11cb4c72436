"""The default screening rules and discrepancy checks (formats.md §4), one small definition each.

A `Rule` is data: `compile.py` turns it into SQL for DuckDB or Spark. Reading a definition:

- `source`: the feed kind whose rows it reads (`schema.FEEDS`), or `INCOME` (each household's latest
  income year). Feed rows count only when their `id_hash` is an active person's (`persons.is_active`)
  and they are not dated after the as-of date; each row then also has the member's columns
  (`person_id`, `household_id`, `labour_capacity`, `household_kind`, `monitoring_status`,
  `open_identification`).
- `INCOME` rows, one per household: its latest `year` not after the as-of year, that year's `income`
  (人均纯收入), `previous_income` (the year just before; empty if not recorded) and `line` (that
  year's monitoring line from `params["lines"]`, else the latest earlier year's, empty before the
  first; without `lines`, `params["monitoring_line"]` for every year).
- `where`: conditions on a row (`F.<column>`, `P.<parameter>`; `&`, `|`, `~`, `.isin`, `.eq`).
- `window`: only rows whose date lies in the N months up to the as-of date, N a parameter. A date d
  counts iff as_of − N calendar months < d ≤ as_of (2024-11-30 with 12 months: 2023-11-30 does not
  count, 2023-12-01 does; a month end clamps, 2024-03-31 − 1 month = 2024-02-29). On a `YYYY-MM`
  month column: the N months ending with the as-of month.
- then one of: `total` — rows are summed per member (and per `Total.per` column) into `F.total`, and
  `having` keeps the members whose total qualifies; `latest` — only each household's latest row by
  that column (ties: the highest `row_id`, the row stored last), which `having` then tests; neither —
  every row that passes `where` qualifies.
- `period`: the hit's period; a warning is identified by (rule, household, period), so a re-run never
  raises it twice. `year_of_latest(c)`: the year of the latest `c` among the contributing rows
  ('YYYY'); `latest(c)`: the latest `c` ('YYYY-MM-DD', 'YYYY-MM' or the income year); `each(c)`: one
  hit per value of `c` (the school year); `NO_PERIOD`: '' (one open discrepancy per household).
- All qualifying members of a household make one hit: `person_id` is the member ranked first (by
  `rank`: the total, else the period column, highest first; ties by the smaller person_id, then
  row_id), `person_ids` and `feed_row_ids` list every contributing member and row.
- `values`: what the hit reports (Chinese label → column of the first-ranked member's row or total,
  parameter, `WINDOW` for the window's dates, or arithmetic computed in Python with two places);
  `explanation` is a sentence over those labels (see `run.explain`).
- `version`: raise it whenever the definition's meaning changes; it is stored with each warning.
- `key` and `label` are stored elsewhere (warnings by key; the yearly setting `screening_rules_enabled`
  lists the enabled rules by label): renaming either is a data migration, not an edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhenxing.screening.engine.expr import Col, EngineError, Expr, F, P, columns_of, params_of
from zhenxing.screening.engine.schema import INCOME

WARNING, DISCREPANCY = "warning", "discrepancy"
RISK_TYPES = ("因病", "因学", "因残", "住房安全", "因灾", "因务工就业不稳", "其他", "收入")
DISCREPANCY_KINDS = ("财政供养", "车辆", "不动产", "市场主体", "死亡")
YEAR_OF_LATEST, LATEST, EACH, NONE = "year_of_latest", "latest", "each", "none"


@dataclass(frozen=True)
class Window:
    column: str
    months: str  # the parameter holding N


@dataclass(frozen=True)
class Total:
    column: str
    per: tuple[str, ...] = ()  # grouping columns besides the member


@dataclass(frozen=True)
class Period:
    how: str
    column: str | None = None


def year_of_latest(column: str) -> Period:
    return Period(YEAR_OF_LATEST, column)


def latest(column: str) -> Period:
    return Period(LATEST, column)


def each(column: str) -> Period:
    return Period(EACH, column)


NO_PERIOD = Period(NONE)
WINDOW = Col("统计期")  # a reported value: the window's first and last day ("2023-12-01至2024-11-30")


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    raises: str  # risk type of a warning, or the discrepancy kind
    source: str
    period: Period
    values: tuple[tuple[str, Expr], ...]
    explanation: str
    kind: str = WARNING
    version: int = 1
    where: Expr | None = None
    window: Window | None = None
    total: Total | None = None
    latest: str | None = None
    having: Expr | None = None
    rank: str | None = None

    def __post_init__(self) -> None:
        allowed = RISK_TYPES if self.kind == WARNING else DISCREPANCY_KINDS
        if self.kind not in (WARNING, DISCREPANCY) or self.raises not in allowed:
            raise EngineError(f"规则 {self.key} 的类型“{self.kind}/{self.raises}”无效")
        if self.total and self.latest:
            raise EngineError(f"规则 {self.key} 不能同时按合计和按最近一条判断")
        if self.having is not None and not (self.total or self.latest):
            raise EngineError(f"规则 {self.key} 的 having 只用于合计或最近一条")
        if self.period.how == EACH and self.total and self.period.column not in self.total.per:
            raise EngineError(f"规则 {self.key} 按 {self.period.column} 分期时须按它合计")

    @property
    def inputs(self) -> tuple[str, ...]:
        """The snapshot tables it reads."""
        return ("incomes", "households") if self.source == INCOME else (self.source, "persons", "households")

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The columns of its source it reads (the compiler projects the source to these)."""
        used = ["household_id", "person_id", "row_id", *columns_of(self.where)]
        used += [self.window.column] if self.window else []
        used += [self.total.column, *self.total.per] if self.total else [*columns_of(self.having)]
        used += [c for c in (self.latest, self.period.column, self.rank) if c]
        if not self.total:
            used += [c for _, v in self.values if v is not WINDOW for c in columns_of(v)]
        return tuple(dict.fromkeys(c for c in used if c != "total"))

    @property
    def params(self) -> tuple[str, ...]:
        """The parameter keys it reads, in order of first use."""
        keys = params_of(self.where) + params_of(self.having)
        keys += [self.window.months] if self.window else []
        for _, value in self.values:
            keys += params_of(value)
        return tuple(dict.fromkeys(keys))


def discrepancy(key: str, label: str, raises: str, source: str, where: Expr | None, **kwargs) -> Rule:
    """A 疑点 check: only monitored households and households with an open identification; no period."""
    scope = UNDER_CHECK if where is None else UNDER_CHECK & where
    return Rule(key, label, raises, source, NO_PERIOD, kind=DISCREPANCY, where=scope, **kwargs)


# Household scopes (formats.md §4).
LIFTED_OR_MONITORED = F.household_kind.eq("lifted") | F.monitoring_status.eq("monitored")
NOT_MONITORED = F.monitoring_status.eq("none")
UNDER_CHECK = F.monitoring_status.eq("monitored") | F.open_identification

# fmt: off
RULES: tuple[Rule, ...] = (
    Rule(
        "medical_lifted", "脱贫户和监测户医疗个人自付", "因病", "medical",
        where=LIFTED_OR_MONITORED, window=Window("settlement_date", "medical_window_months"),
        total=Total("self_pay"), having=F.total >= P.medical_lifted_threshold,
        period=year_of_latest("settlement_date"),
        values=(("个人自付合计", F.total), ("预警线", P.medical_lifted_threshold), ("统计期", WINDOW)),
        explanation="{统计期}个人自付医疗费用合计{个人自付合计}元，达到预警线{预警线}元",
    ),
    Rule(
        "medical_other", "其他农户医疗个人自付", "因病", "medical",
        where=~LIFTED_OR_MONITORED, window=Window("settlement_date", "medical_window_months"),
        total=Total("self_pay"), having=F.total >= P.medical_other_threshold,
        period=year_of_latest("settlement_date"),
        values=(("个人自付合计", F.total), ("预警线", P.medical_other_threshold), ("统计期", WINDOW)),
        explanation="{统计期}个人自付医疗费用合计{个人自付合计}元，达到预警线{预警线}元",
    ),
    Rule(
        "education_cost", "在校生个人负担费用", "因学", "education",
        where=F.stage.isin(P.education_cost_stages),
        total=Total("personal_cost", per=("school_year",)), having=F.total > P.education_cost_threshold,
        period=each("school_year"),
        values=(("学年", F.school_year), ("个人负担费用", F.total), ("预警线", P.education_cost_threshold)),
        explanation="{学年}学年在校生个人负担费用{个人负担费用}元，超过预警线{预警线}元",
    ),
    Rule(
        "education_dropout", "义务教育阶段辍学", "因学", "education",
        where=F.stage.isin(P.education_dropout_stages) & F.enrolment_status.eq("辍学"),
        period=each("school_year"),
        values=(("学年", F.school_year), ("学段", F.stage), ("学校", F.school), ("在读状态", F.enrolment_status)),
        explanation="{学年}学年{学段}学生在读状态为“{在读状态}”（{学校}）",
    ),
    Rule(
        "disability_new", "新增重度残疾", "因残", "disability",
        where=F.disability_grade.isin(P.disability_grades),
        window=Window("issue_date", "disability_window_months"),
        period=latest("issue_date"),
        values=(("残疾等级", F.disability_grade), ("残疾类别", F.disability_category), ("发证日期", F.issue_date),
                ("统计期", WINDOW)),
        explanation="{统计期}新发{残疾等级}残疾人证（{残疾类别}，发证日期{发证日期}）",
    ),
    Rule(
        "housing_unsafe", "住房安全鉴定为危房", "住房安全", "housing",
        latest="appraisal_date", having=F.safety_grade.isin(P.housing_unsafe_grades),
        period=latest("appraisal_date"),
        values=(("鉴定日期", F.appraisal_date), ("房屋安全等级", F.safety_grade),
                ("预警等级", P.housing_unsafe_grades)),
        explanation="住房最近一次安全鉴定（{鉴定日期}）为{房屋安全等级}级，属于预警等级{预警等级}",
    ),
    Rule(
        "disaster", "受灾损失或房屋倒损", "因灾", "emergency",
        where=(F.direct_loss >= P.disaster_loss_threshold) | F.house_damage.isin(P.disaster_damage_levels),
        window=Window("occurrence_date", "disaster_window_months"),
        period=latest("occurrence_date"),
        values=(("灾害类型", F.disaster_type), ("发生日期", F.occurrence_date), ("直接经济损失", F.direct_loss),
                ("损失预警线", P.disaster_loss_threshold), ("房屋倒损情况", F.house_damage),
                ("预警倒损情形", P.disaster_damage_levels), ("统计期", WINDOW)),
        explanation="{发生日期}遭受{灾害类型}，直接经济损失{直接经济损失}元（预警线{损失预警线}元），"
                    "房屋倒损情况为{房屋倒损情况}（预警情形{预警倒损情形}）",
    ),
    Rule(
        "employment_loss", "脱贫劳动力务工就业不稳", "因务工就业不稳", "employment",
        where=LIFTED_OR_MONITORED & F.labour_capacity.isin(P.employment_loss_capacities)
        & F.employment_status.isin(P.employment_loss_statuses),
        window=Window("stat_month", "employment_loss_window_months"),
        period=latest("stat_month"),
        values=(("统计月份", F.stat_month), ("就业状态", F.employment_status), ("劳动能力", F.labour_capacity),
                ("统计期", WINDOW)),
        explanation="{统计期}内{劳动能力}成员{统计月份}就业状态为“{就业状态}”",
    ),
    Rule(
        "assistance_new", "未监测农户新纳入社会救助", "其他", "civil_affairs",
        where=NOT_MONITORED & F.assistance_type.isin(P.assistance_types),
        window=Window("start_date", "assistance_window_months"),
        period=latest("start_date"),
        values=(("救助类型", F.assistance_type), ("开始日期", F.start_date), ("统计期", WINDOW)),
        explanation="{统计期}内新纳入{救助类型}（开始日期{开始日期}），该户未纳入监测",
    ),
    Rule(
        "income_below_line", "未监测农户收入低于监测范围", "收入", INCOME,
        where=NOT_MONITORED & (F.income < F.line),
        period=latest("year"),
        values=(("年度", F.year), ("人均纯收入", F.income), ("监测范围", F.line)),
        explanation="{年度}年家庭人均纯收入{人均纯收入}元，低于当年监测范围{监测范围}元",
    ),
    Rule(
        "income_drop", "收入骤减", "收入", INCOME,
        # drop ≥ p% of last year's income, written without division: (prev − cur) × 100 ≥ p × prev
        where=(F.previous_income > 0)
        & ((F.previous_income - F.income) * 100 >= P.income_drop_percent * F.previous_income)
        & (F.income < P.income_drop_line_multiple * F.line),
        period=latest("year"),
        values=(("年度", F.year), ("人均纯收入", F.income), ("上年人均纯收入", F.previous_income),
                ("降幅", (F.previous_income - F.income) * 100 / F.previous_income),
                ("预警降幅", P.income_drop_percent), ("监测范围", F.line), ("倍数", P.income_drop_line_multiple),
                ("收入上限", P.income_drop_line_multiple * F.line)),
        explanation="{年度}年家庭人均纯收入{人均纯收入}元，比上年{上年人均纯收入}元下降{降幅}%"
                    "（预警降幅{预警降幅}%），且低于收入上限{收入上限}元（监测范围{监测范围}元的{倍数}倍）",
    ),
    discrepancy(
        "public_payroll", "家庭成员为财政供养人员", "财政供养", "public_payroll", None,
        values=(("单位名称", F.employer), ("入职日期", F.hire_date)),
        explanation="家庭成员在财政供养单位“{单位名称}”任职（入职日期{入职日期}），须核实说明",
    ),
    discrepancy(
        "vehicle", "家庭成员登记有车辆", "车辆", "vehicle", F.vehicle_type.isin(P.discrepancy_vehicle_types),
        values=(("车辆类型", F.vehicle_type), ("号牌号码", F.plate_number), ("登记日期", F.registration_date)),
        explanation="家庭成员登记有{车辆类型}（{号牌号码}，登记日期{登记日期}），须核实说明",
    ),
    discrepancy(
        "real_estate", "家庭成员登记有不动产", "不动产", "real_estate",
        F.property_use.isin(P.discrepancy_property_uses),
        values=(("用途", F.property_use), ("坐落", F.location), ("建筑面积", F.floor_area),
                ("登记日期", F.registration_date)),
        explanation="家庭成员登记有{用途}用途不动产（{坐落}，{建筑面积}平方米，登记日期{登记日期}），须核实说明",
    ),
    discrepancy(
        "business", "家庭成员有存续市场主体", "市场主体", "business",
        F.registration_status.eq("存续")
        & (F.entity_type.isin(P.discrepancy_business_types)
           | (F.registered_capital >= P.discrepancy_business_capital)),
        values=(("主体名称", F.entity_name), ("主体类型", F.entity_type), ("注册资本", F.registered_capital),
                ("注册资本疑点线", P.discrepancy_business_capital), ("登记状态", F.registration_status)),
        explanation="家庭成员有{登记状态}的{主体类型}“{主体名称}”（注册资本{注册资本}万元，疑点线{注册资本疑点线}万元），"
                    "须核实说明",
    ),
    discrepancy(
        "deceased", "已死亡人员仍在户", "死亡", "police", F.registration_status.eq("死亡"),
        values=(("户籍状态", F.registration_status), ("变动日期", F.change_date)),
        explanation="公安户籍状态为{户籍状态}（变动日期{变动日期}），但仍为户内在册成员，须核实说明",
    ),
)
# fmt: on

BY_KEY: dict[str, Rule] = {r.key: r for r in RULES}
assert len(BY_KEY) == len(RULES), "rule keys must be unique"


def select(keys=None) -> tuple[Rule, ...]:
    """The rules to run, in definition order; unknown keys are refused with their names."""
    if keys is None:
        return RULES
    wanted = list(dict.fromkeys(keys))
    unknown = [k for k in wanted if k not in BY_KEY]
    if unknown:
        raise EngineError(f"没有这些筛查规则：{'、'.join(unknown)}；可用的规则：{'、'.join(BY_KEY)}")
    return tuple(r for r in RULES if r.key in wanted)
