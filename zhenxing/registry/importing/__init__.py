"""The registry importer: `户籍成员` (households and members) and `家庭收入` (yearly income).

Validate → preview → commit (design.md "Imports"):

    plan = validate_households(data, filename, user.area)      # reads and checks everything
    plan.errors                                                # RowError(sheet, row, column, reason)
    plan.summary()                                             # counts for the preview
    commit_households(actor, plan, progress, only_valid=False)  # one transaction, all or nothing

`validate_income` / `commit_income` work the same way. `error_report(plan.errors)` is the downloadable
`.xlsx`; `template_workbook(kind)` the blank template with drop-down lists from the current code lists.
"""

from zhenxing.lib.tabular import SheetSpec, write_xlsx
from zhenxing.registry import codes
from zhenxing.registry.importing.columns import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_HEADERS,
    HOUSEHOLD_SHEET,
    INCOME_COLUMNS,
    INCOME_HEADERS,
    INCOME_SHEET,
)
from zhenxing.registry.importing.commit import commit_households, commit_income
from zhenxing.registry.importing.common import (
    BATCH_SIZE,
    ImportConflict,
    RowError,
    error_report,
    read_error_report,
)
from zhenxing.registry.importing.households import (
    HouseholdPlan,
    PlannedHousehold,
    PlannedPerson,
    plan_households,
    read_households,
    validate_households,
)
from zhenxing.registry.importing.income import IncomePlan, PlannedIncome, sizes_for_years, validate_income

KINDS = {"households": "户籍成员", "income": "家庭收入"}

__all__ = [
    "BATCH_SIZE",
    "HOUSEHOLD_COLUMNS",
    "HOUSEHOLD_HEADERS",
    "HOUSEHOLD_SHEET",
    "INCOME_COLUMNS",
    "INCOME_HEADERS",
    "INCOME_SHEET",
    "KINDS",
    "HouseholdPlan",
    "ImportConflict",
    "IncomePlan",
    "PlannedHousehold",
    "PlannedIncome",
    "PlannedPerson",
    "RowError",
    "all_errors",
    "all_notices",
    "commit_plan",
    "commit_households",
    "commit_income",
    "error_report",
    "plan_households",
    "read_error_report",
    "read_households",
    "sizes_for_years",
    "template_workbook",
    "validate_file",
    "validate_households",
    "validate_income",
]

_HOUSEHOLD_NOTES = [
    ("户编号", "必填", "同一户的成员填写相同的户编号；国家系统的户编号照原样填写"),
    ("人编号", "选填", "国家系统的人编号，原样保留"),
    ("行政区划代码", "必填", "所在村（社区）的12位代码；也可改为“乡(镇)”“行政村”两列填写名称"),
    ("户类型", "必填", "脱贫户 / 一般农户（脱贫属性如 低保脱贫户 也表示脱贫户）"),
    ("脱贫属性", "选填", "一般脱贫户 / 低保脱贫户 / 特困供养脱贫户"),
    ("脱贫年度", "选填", "2014—2020，一般农户不填"),
    ("姓名", "必填", ""),
    ("公民身份号码", "必填", "18位，性别和出生日期由号码得出；残疾人证号取前18位"),
    ("与户主关系", "必填", "每户有且只有一名户主，最多一名配偶"),
    ("民族", "选填", "如 汉族"),
    ("政治面貌", "选填", "中共党员 / 中共预备党员 / 共青团员 / 群众"),
    ("文化程度", "选填", "在校生不填"),
    ("在校生状况", "选填", "不是在校生的不填；也可填国家系统的年级，如 七年级、普通高中一年级"),
    ("健康状况", "必填", "健康 / 长期慢性病 / 患有大病 / 残疾，可多项，用逗号分隔，如 残疾,长期慢性病"),
    ("劳动能力", "必填", "普通劳动力 / 技能劳动力 / 弱劳动力或半劳动力 / 丧失劳动力 / 无劳动力"),
    ("务工状况", "选填", "省外务工 / 省内县外务工 / 县内务工 / 乡镇内务工 / 未务工"),
    ("务工时间(月)", "选填", "0—12的整数"),
    ("联系电话", "选填", "11位手机号码或固定电话（如 0711-3201234）"),
]
_INCOME_NOTES = [
    ("户编号", "必填", "台账中已有的户，或同一文件“户籍成员”工作表中的户"),
    ("年度", "必填", "如 2024"),
    (
        "工资性收入、生产经营性收入、财产性收入、转移性收入、生产经营性支出",
        "必填",
        "单位元，最多两位小数，没有填0",
    ),
    ("理赔收入、合规自付支出", "选填", "单位元"),
    ("人均纯收入", "选填", "由系统按家庭人口数计算；如填写，与计算值相差超过1元的行会被指出"),
    (
        "计划生育金、低保金、特困供养金、养老保险金、生态补偿金、其他转移性收入",
        "选填",
        "转移性收入明细，填写时合计须等于转移性收入",
    ),
]


def template_workbook(kind: str) -> bytes:
    """The blank import template, with drop-down lists from the current code lists."""
    if kind == "households":
        choices = {
            "户类型": codes.current_labels("household_kind"),
            "脱贫属性": codes.current_labels("lifted_attribute"),
            "与户主关系": codes.current_labels("relation"),
            "政治面貌": codes.current_labels("political_status"),
            "文化程度": codes.current_labels("education"),
            "在校生状况": codes.current_labels("schooling"),
            "劳动能力": codes.current_labels("labour_capacity"),
            "务工状况": codes.current_labels("employment"),
        }
        sheet = SheetSpec(
            name=HOUSEHOLD_SHEET,
            headers=HOUSEHOLD_HEADERS,
            choices={h: values for h, values in choices.items() if values},
            column_widths={"户编号": 22, "公民身份号码": 22, "行政区划代码": 16, "健康状况": 18},
        )
        notes = _HOUSEHOLD_NOTES
    elif kind == "income":
        sheet = SheetSpec(name=INCOME_SHEET, headers=INCOME_HEADERS, column_widths={"户编号": 22})
        notes = _INCOME_NOTES
    else:
        raise ValueError(f"unknown import kind {kind!r}")
    guide = SheetSpec(
        name="填写说明",
        headers=["列", "是否必填", "说明"],
        rows=notes,
        column_widths={"列": 40, "是否必填": 10, "说明": 80},
    )
    return write_xlsx([sheet, guide])


def validate_file(kind: str, data: bytes, filename: str, scope_area, progress=None):
    """`validate_households` or `validate_income` by kind ("households" / "income")."""
    if kind == "households":
        return validate_households(data, filename, scope_area, progress)
    if kind == "income":
        return validate_income(data, filename, scope_area, progress)
    raise ValueError(f"unknown import kind {kind!r}")


def commit_plan(kind: str, actor, plan, progress=None, only_valid: bool = False) -> dict:
    if kind == "households":
        return commit_households(actor, plan, progress, only_valid)
    return commit_income(actor, plan, progress, only_valid)


def all_errors(plan) -> list[RowError]:
    """Every error of a plan (an income plan includes its workbook's 户籍成员 sheet)."""
    return plan.all_errors if isinstance(plan, IncomePlan) else plan.errors


def all_notices(plan) -> list[str]:
    """Every notice of a plan (ignored columns), the workbook's 户籍成员 sheet first."""
    if isinstance(plan, IncomePlan) and plan.households is not None:
        return [*plan.households.notices, *plan.notices]
    return list(plan.notices)
