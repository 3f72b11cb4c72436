"""Department feeds (formats.md §3): the columns of each kind, and checking a file or pushed rows.

Validate → preview → commit (design.md "Imports"):

    plan = validate_feed("medical", data, "医保.xlsx")   # reads and checks every row; writes nothing
    plan.errors                                         # RowError(sheet, row, column, reason)
    plan.rows                                           # the clean rows (PlannedRow), ready to store
    actions.feeds.commit_feed(actor, "medical", plan, source=…, file_name=…, sha256=…, period=…)

`validate_records(kind, records)` checks rows pushed as JSON (`/api/v1/feeds/<kind>/`) the same way;
their keys may be the Chinese headers (and aliases) or the English keys (`FeedColumn.key`).

A clean row's `data` is keyed exactly by the engine's column names (`screening/engine/schema.FEEDS`),
every column present, values as strings — dates `YYYY-MM-DD`, amounts `1234.50`, school years
`2024-2025`, months `2024-05` — or None when the cell is blank. The ID number never enters `data`: a
row keeps its keyed hash (`lib.personal.lookup_hash`) and the masked number only.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from zhenxing.lib import idnumbers, personal
from zhenxing.lib.tabular import (
    Column,
    SheetSpec,
    TableError,
    cell_text,
    parse_amount,
    parse_date,
    read_table,
)
from zhenxing.registry.importing.common import LOOKUP_CHUNK, RowError, chunks, no_gc, sheet_names

# —— Columns ——————————————————————————————————————————————————————————————————————————————————————

TEXT, DATE, MONEY, CHOICE, SCHOOL_YEAR, MONTH = "text", "date", "money", "choice", "school_year", "month"
ID_KEY, NAME_KEY = "id_number", "name"

# The departments' short names, as the engine names them (schema.FEED_LABELS; a test keeps them equal).
LABELS = {
    "medical": "医保",
    "education": "教育",
    "civil_affairs": "民政",
    "disability": "残联",
    "housing": "住建",
    "emergency": "应急",
    "employment": "人社",
    "police": "公安",
    "public_payroll": "财政供养",
    "vehicle": "车辆",
    "real_estate": "不动产",
    "business": "市场监管",
}

# Amounts are stored as decimal(14, 2): below a trillion.
MAX_AMOUNT = Decimal("1000000000000")
EARLIEST_DATE = datetime.date(1900, 1, 1)
NAME_MAX = 40


@dataclass(frozen=True)
class FeedColumn:
    """One column of a feed: `key` is the engine's column name (or `id_number` / `name`).

    `required`: the header must be in the file and every row must fill it. `synonyms` map other
    spellings of a choice to the value stored. `future_ok`: a date after today is accepted (a planned
    end of assistance). `note` explains the column in the template's 填写说明 sheet.
    """

    key: str
    header: str
    type: str = TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)
    max_length: int = 100
    unit: str = ""
    future_ok: bool = False
    note: str = ""

    def column(self) -> Column:
        return Column(self.key, self.header, self.aliases, self.required)


ID_ALIASES = ("证件号码", "身份证号码", "身份证号", "证件号码(残疾人证)")


def _id(head: bool = False) -> FeedColumn:
    if head:
        return FeedColumn(
            ID_KEY,
            "户主公民身份号码",
            required=True,
            aliases=("户主身份证号码", "户主身份证号", "户主证件号码", "公民身份号码", *ID_ALIASES),
            note="户主的18位公民身份号码，用来与农户台账匹配",
        )
    return FeedColumn(
        ID_KEY,
        "公民身份号码",
        required=True,
        aliases=ID_ALIASES,
        note="18位公民身份号码，用来与农户台账匹配；残疾人证号取前18位",
    )


NAME = FeedColumn(NAME_KEY, "姓名", max_length=NAME_MAX, note="用于核对，不参与匹配")


def _money(key: str, header: str, *aliases: str, required: bool = False, unit: str = "元") -> FeedColumn:
    return FeedColumn(
        key, header, MONEY, required, aliases, unit=unit, note=f"单位：{unit}，不能为负数，最多两位小数"
    )


def _date(
    key: str, header: str, *aliases: str, required: bool = False, future_ok: bool = False
) -> FeedColumn:
    return FeedColumn(
        key, header, DATE, required, aliases, future_ok=future_ok, note="如 2024-05-01，也可写 2024/5/1"
    )


def _choice(
    key: str,
    header: str,
    choices: tuple[str, ...],
    *aliases: str,
    required: bool = False,
    synonyms: dict[str, str] | None = None,
) -> FeedColumn:
    return FeedColumn(
        key, header, CHOICE, required, aliases, choices, dict(synonyms or {}), note="从下拉列表中选择"
    )


GRADES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级", "1级": "一级", "2级": "二级", "3级": "三级"}
GRADES |= {"4级": "四级", "一": "一级", "二": "二级", "三": "三级", "四": "四级"}

FEED_COLUMNS: dict[str, tuple[FeedColumn, ...]] = {
    "medical": (
        _id(),
        NAME,
        _date("settlement_date", "结算日期", "结算时间", "出院结算日期", required=True),
        _choice("visit_type", "就诊类型", ("住院", "门诊"), "医疗类别", synonyms={"门诊慢特病": "门诊"}),
        _money("total_cost", "医疗总费用", "总费用", "医疗费用总额"),
        _money("basic_insurance", "基本医保支付", "基本医疗保险支付", "统筹支付"),
        _money("critical_illness_insurance", "大病保险支付"),
        _money("medical_assistance", "医疗救助支付"),
        _money("self_pay", "个人自付", "个人自付费用", "个人自付金额", required=True),
    ),
    "education": (
        _id(),
        NAME,
        FeedColumn("school_year", "学年", SCHOOL_YEAR, True, ("就读学年",), note="起止年份，如 2024-2025"),
        _choice(
            "stage",
            "学段",
            ("小学", "初中", "高中", "中职", "高职", "本科及以上"),
            "就读学段",
            required=True,
            synonyms={
                "普通高中": "高中",
                "中专": "中职",
                "技工学校": "中职",
                "大专": "高职",
                "高职高专": "高职",
                "本科": "本科及以上",
                "研究生": "本科及以上",
            },
        ),
        FeedColumn("school", "学校名称", aliases=("就读学校", "学校"), max_length=100),
        _choice("enrolment_status", "在读状态", ("在读", "辍学", "休学", "毕业"), "就读状态", required=True),
        _money("personal_cost", "个人负担费用", "个人负担", "个人承担费用"),
    ),
    "civil_affairs": (
        _id(),
        NAME,
        _choice(
            "assistance_type",
            "救助类型",
            ("低保", "特困", "临时救助"),
            required=True,
            synonyms={
                "最低生活保障": "低保",
                "农村低保": "低保",
                "城乡低保": "低保",
                "特困供养": "特困",
                "特困人员": "特困",
                "特困人员救助供养": "特困",
            },
        ),
        _date("start_date", "开始日期", "救助开始日期", "享受开始日期", required=True),
        _date("end_date", "终止日期", "救助终止日期", "享受终止日期", "结束日期", future_ok=True),
        _money("monthly_amount", "月救助金额", "救助金额", "月保障金额"),
    ),
    "disability": (
        _id(),
        NAME,
        FeedColumn(
            "disability_category", "残疾类别", aliases=("残疾类型",), max_length=20, note="如 肢体、视力"
        ),
        _choice(
            "disability_grade", "残疾等级", ("一级", "二级", "三级", "四级"), required=True, synonyms=GRADES
        ),
        _date("issue_date", "发证日期", "办证日期", "发证时间", required=True),
    ),
    "housing": (
        _id(head=True),
        _date("appraisal_date", "鉴定日期", "鉴定时间", required=True),
        _choice(
            "safety_grade",
            "房屋安全等级",
            ("A", "B", "C", "D"),
            "安全等级",
            "鉴定等级",
            required=True,
            synonyms={f"{g}级": g for g in "ABCD"},
        ),
    ),
    "emergency": (
        _id(head=True),
        FeedColumn("disaster_type", "灾害类型", max_length=40, note="如 洪涝灾害、地质灾害"),
        _date("occurrence_date", "发生日期", "受灾日期", "发生时间", required=True),
        _money("direct_loss", "直接经济损失", "直接经济损失(元)"),
        _choice("house_damage", "房屋倒损情况", ("无", "一般损坏", "严重损坏", "倒塌"), "房屋受损情况"),
    ),
    "employment": (
        _id(),
        NAME,
        FeedColumn("stat_month", "统计月份", MONTH, True, ("统计年月", "统计期"), note="年-月，如 2024-05"),
        _choice(
            "employment_status",
            "就业状态",
            ("务工", "失业", "返乡", "公益性岗位"),
            required=True,
            synonyms={"公益岗位": "公益性岗位", "公益岗": "公益性岗位", "外出务工": "务工", "就业": "务工"},
        ),
        FeedColumn("work_place", "务工地点", aliases=("务工所在地",), max_length=100),
    ),
    "police": (
        _id(),
        NAME,
        _choice("registration_status", "户籍状态", ("正常", "死亡", "迁出"), "户口状态", required=True),
        _date("change_date", "变动日期", "注销日期", "变动时间"),
    ),
    "public_payroll": (
        _id(),
        NAME,
        FeedColumn("employer", "单位名称", required=True, aliases=("工作单位",), max_length=100),
        _date("hire_date", "入职日期", "参加工作时间", "入职时间"),
    ),
    "vehicle": (
        _id(),
        FeedColumn("plate_number", "号牌号码", aliases=("车牌号码", "车牌号"), max_length=20),
        _choice(
            "vehicle_type",
            "车辆类型",
            ("小型轿车", "中型客车", "货车", "农用车", "摩托车"),
            required=True,
            synonyms={"轿车": "小型轿车", "小型汽车": "小型轿车", "农用车辆": "农用车"},
        ),
        _date("registration_date", "登记日期", "初次登记日期", "注册登记日期"),
    ),
    "real_estate": (
        _id(),
        FeedColumn("location", "坐落", aliases=("不动产坐落", "房屋坐落"), max_length=200),
        _choice("property_use", "用途", ("住宅", "商业", "其他"), "房屋用途", required=True),
        _date("registration_date", "登记日期", "登簿日期", "登记时间"),
        _money("floor_area", "建筑面积", "建筑面积(平方米)", "建筑面积(㎡)", unit="平方米"),
    ),
    "business": (
        _id(),
        FeedColumn("entity_name", "主体名称", aliases=("企业名称", "市场主体名称"), max_length=200),
        _choice(
            "entity_type",
            "主体类型",
            ("个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社", "其他"),
            "市场主体类型",
            "企业类型",
            required=True,
            synonyms={"个体户": "个体工商户", "合作社": "农民专业合作社"},
        ),
        _money("registered_capital", "注册资本(万元)", "注册资本", unit="万元"),
        _date("founded_date", "成立日期", "成立时间"),
        _choice(
            "registration_status",
            "登记状态",
            ("存续", "注销", "吊销"),
            "经营状态",
            required=True,
            synonyms={"在营": "存续", "开业": "存续"},
        ),
    ),
}

KINDS = tuple(FEED_COLUMNS)


def data_keys(kind: str) -> list[str]:
    """The keys of a stored row's `data`: the engine's feed columns, in order."""
    return [c.key for c in FEED_COLUMNS[kind] if c.key not in (ID_KEY, NAME_KEY)]


def sheet_name(kind: str) -> str:
    return f"{LABELS[kind]}数据"


# —— The plan ————————————————————————————————————————————————————————————————————————————————————


@dataclass(slots=True)
class PlannedRow:
    """A clean row: where it was (1-based row as Excel shows it, or the pushed row's position)."""

    row: int
    id_hash: str
    id_masked: str
    name: str
    data: dict


@dataclass
class FeedPlan:
    kind: str
    filename: str = ""
    sheet: str = ""
    rows: list[PlannedRow] = field(default_factory=list)  # the clean rows only
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    total: int = 0  # data rows read (clean or not)

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def has_file_error(self) -> bool:
        return any(e.row == 0 for e in self.errors)

    def error_rows(self) -> set[int]:
        return {e.row for e in self.errors if e.row}

    def errors_by_row(self) -> dict[int, list[str]]:
        """Row → its errors as "column：reason" (the API's per-row answer)."""
        found: dict[int, list[str]] = {}
        for e in self.errors:
            found.setdefault(e.row, []).append(f"{e.column}：{e.reason}" if e.column else e.reason)
        return found

    def summary(self) -> dict:
        return {
            "rows": self.total,
            "clean_rows": len(self.rows),
            "error_rows": len(self.error_rows()),
            "errors": len(self.errors),
            "file_error": self.has_file_error,
        }


# —— Reading ——————————————————————————————————————————————————————————————————————————————————————


def validate_feed(kind: str, data: bytes, filename: str) -> FeedPlan:
    """Read a whole `.xlsx`/`.xls`/`.csv` feed file and check every row; nothing is written.

    File problems (unreadable, no header, a missing required column, no data rows) are one error with
    row 0; row problems name the row as Excel shows it, the column header and a Chinese reason.
    """
    columns = FEED_COLUMNS[kind]
    plan = FeedPlan(kind=kind, filename=filename, sheet=sheet_name(kind))
    # The template's sheet when the workbook has it; otherwise the first sheet (a department's export).
    sheet = plan.sheet if plan.sheet in sheet_names(data, filename) else None
    try:
        with no_gc():
            table = read_table(data, filename, sheet=sheet, columns=[c.column() for c in columns])
    except TableError as e:
        plan.errors.append(RowError(plan.sheet, 0, "", e.message))
        return plan
    plan.sheet = table.sheet_name or plan.sheet
    if table.ignored_headers:
        plan.notices.append(
            f"以下列不属于{plan.label}数据模板，已忽略（不影响导入）：" + "、".join(table.ignored_headers)
        )
    if not table.rows:
        plan.errors.append(
            RowError(plan.sheet, 0, "", "文件中没有数据行：请在表头下面逐行填写数据后重新上传")
        )
        return plan
    plan.total = len(table.rows)
    checker = _Checker(plan, columns, timezone.localdate())
    with no_gc():
        for row in table.rows:
            checker.check(row.number, row.values)
    return plan


def validate_records(kind: str, records: list) -> FeedPlan:
    """Check pushed rows (a list of JSON objects); row numbers are positions from 1."""
    columns = FEED_COLUMNS[kind]
    lookup = _key_lookup(columns)
    plan = FeedPlan(kind=kind, sheet="")
    plan.total = len(records)
    ignored: dict[str, None] = {}
    checker = _Checker(plan, columns, timezone.localdate())
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            plan.errors.append(RowError("", number, "", '每一行应是一个对象（{"列名": "值"}）'))
            continue
        values = {c.key: "" for c in columns}
        seen: set[str] = set()
        problem = False
        for raw_key, raw_value in record.items():
            key = lookup.get(_normalize(str(raw_key)))
            if key is None:
                ignored[str(raw_key)] = None
                continue
            header = next(c.header for c in columns if c.key == key)
            if isinstance(raw_value, dict | list):
                plan.errors.append(RowError("", number, header, "应填写文字或数字"))
                problem = True
                continue
            text = cell_text(raw_value)
            if key in seen and text != values[key]:
                plan.errors.append(RowError("", number, header, "同一项目填写了两次且不一致，请只保留一个"))
                problem = True
                continue
            seen.add(key)
            values[key] = text
        if not problem:
            checker.check(number, values)
    if ignored:
        plan.notices.append(f"以下字段不属于{plan.label}数据，已忽略：" + "、".join(ignored))
    return plan


def _normalize(text: str) -> str:
    """Header comparison: full-width → half-width, no whitespace, letter case ignored (as lib.tabular)."""
    text = unicodedata.normalize("NFKC", text).replace("【", "[").replace("】", "]")
    return "".join(text.split()).casefold()


def _key_lookup(columns: Iterable[FeedColumn]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for c in columns:
        for name in (c.key, c.header, *c.aliases):
            lookup.setdefault(_normalize(name), c.key)
    if "head_id_number" not in lookup:
        lookup["head_id_number"] = ID_KEY
    return lookup


# —— Checking one row ——————————————————————————————————————————————————————————————————————————————


class _Checker:
    """Checks rows of one kind into a plan. A 100,000-row file is checked in a few seconds: ID numbers
    already seen are not checked again (a medical feed repeats a person on every settlement), and the
    common spellings (an 18-character number, `YYYY-MM-DD`, plain amounts) take a fast path that accepts
    exactly what the full parsers accept; anything else goes through those parsers and their messages."""

    def __init__(self, plan: FeedPlan, columns, today: datetime.date):
        self.plan, self.columns, self.today = plan, columns, today
        self.identities: dict[str, tuple[str | None, str]] = {}

    def check(self, number: int, values: dict[str, str]) -> None:
        errors: list[tuple[FeedColumn, str]] = []
        data: dict[str, str | None] = {}
        id_hash = id_masked = name = ""
        for column in self.columns:
            key = column.key
            text = values.get(key, "")
            if key == ID_KEY:
                found = self.identities.get(text)
                if found is None:
                    found = self.identities[text] = _identify(text, self.today)
                if found[0] is None:
                    errors.append((column, found[1]))
                else:
                    id_hash, id_masked = found
            elif not text:
                if column.required:
                    errors.append((column, f"未填写{column.header}：这一列每行都必须填写"))
                if key != NAME_KEY:
                    data[key] = None
            else:
                try:
                    value = _parse(column, text, self.today)
                except ValueError as e:
                    errors.append((column, str(e)))
                    continue
                if key == NAME_KEY:
                    name = value
                else:
                    data[key] = value
        if not errors:
            _check_together(self.plan.kind, self.columns, data, lambda c, reason: errors.append((c, reason)))
        if errors:
            sheet = self.plan.sheet
            self.plan.errors.extend(RowError(sheet, number, c.header, reason) for c, reason in errors)
        else:
            self.plan.rows.append(PlannedRow(number, id_hash, id_masked, name, data))


_ID18 = re.compile(r"[0-9]{17}[0-9X]")


def _identify(text: str, today: datetime.date) -> tuple[str | None, str]:
    """(lookup hash, masked number) of a valid ID number, or (None, the Chinese reason)."""
    number = text
    if not (_ID18.fullmatch(number) and _plainly_valid(number, today)):
        try:
            number = idnumbers.validate(text, today=today)
        except idnumbers.InvalidIdNumber as e:
            return None, str(e)
    return personal.lookup_hash(number), idnumbers.mask(number)


def _plainly_valid(number: str, today: datetime.date) -> bool:
    """`idnumbers.validate`'s checks for a number already in normal form (a shortcut, never a verdict:
    False sends the number through `validate`, which says what is wrong)."""
    if number[:6] == "000000" or number[:2] not in idnumbers.PROVINCE_CODES:
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return idnumbers.EARLIEST_BIRTH <= born <= today and idnumbers.check_digit(number[:17]) == number[17]


def _check_together(kind: str, columns, data: dict, error) -> None:
    """Checks between two columns of one row."""
    by_key = {c.key: c for c in columns}
    if kind == "civil_affairs" and data.get("end_date") and data["end_date"] < data["start_date"]:
        error(by_key["end_date"], "终止日期早于开始日期，请核对两个日期")
    if (
        kind == "medical"
        and data.get("total_cost")
        and Decimal(data["self_pay"]) > Decimal(data["total_cost"])
    ):
        error(by_key["self_pay"], "个人自付大于医疗总费用，请核对这两项金额")


def _parse(column: FeedColumn, text: str, today: datetime.date) -> str:
    """The stored string for one filled cell, or ValueError with the Chinese reason."""
    kind = column.type
    if kind == MONEY:
        return _parse_money(column, text)
    if kind == DATE:
        return _parse_date(column, text, today).isoformat()
    if kind == CHOICE:
        return _parse_choice(column, text)
    if kind == SCHOOL_YEAR:
        return _parse_school_year(text, today)
    if kind == MONTH:
        return _parse_month(text, today)
    if len(text) > column.max_length:
        raise ValueError(f"内容超过{column.max_length}个字（现有{len(text)}个字），请精简后重新填写")
    return text


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_AMOUNT = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,2}))?")


def _parse_date(column: FeedColumn, text: str, today: datetime.date) -> datetime.date:
    day = None
    if _ISO_DATE.fullmatch(text):
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            pass  # parse_date names the impossible date
    if day is None:
        try:
            day = parse_date(text)
        except ValueError as e:
            if str(e).startswith("日期不存在"):
                raise
            raise ValueError(f"“{text}”不是日期：请按 YYYY-MM-DD 填写，如 2024-05-01") from None
    if day < EARLIEST_DATE:
        raise ValueError(f"日期{day.isoformat()}早于1900年，请核对年份")
    if day > today and not column.future_ok:
        raise ValueError(f"日期{day.isoformat()}晚于今天，请核对年份和月份")
    return day


def _parse_money(column: FeedColumn, text: str) -> str:
    plain = _PLAIN_AMOUNT.fullmatch(text)
    if plain:  # below 10¹² by its length
        return f"{int(plain[1])}.{(plain[2] or '').ljust(2, '0')}"
    try:
        amount = parse_amount(text)
    except ValueError as e:
        message = str(e)
        if message == "金额不能为负数":
            raise ValueError("不能为负数：请填写0或正数") from None
        if message == "金额最多两位小数":
            raise ValueError("最多两位小数，请四舍五入到分") from None
        raise ValueError(f"“{text}”不是数字：请只填写数字（单位：{column.unit}），如 1234.50") from None
    if amount >= MAX_AMOUNT:
        raise ValueError(f"数额{amount}过大，请核对单位（应为{column.unit}）")
    return f"{amount:.2f}"


def _parse_choice(column: FeedColumn, text: str) -> str:
    value = "".join(unicodedata.normalize("NFKC", text).split())
    if value.upper() in column.choices:
        value = value.upper()
    value = column.synonyms.get(value, column.synonyms.get(value.upper(), value))
    if value not in column.choices:
        raise ValueError(f"“{text}”不是可选的{column.header}，请填写以下之一：{'、'.join(column.choices)}")
    return value


_SCHOOL_YEAR = re.compile(r"^(\d{4})\s*(?:-|—|–|~|～|至|/|－|——)\s*(\d{4})(?:学年)?$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_COMPACT_MONTH = re.compile(r"^(\d{4})(\d{2})$")


def _parse_school_year(text: str, today: datetime.date) -> str:
    match = _SCHOOL_YEAR.match(unicodedata.normalize("NFKC", text).strip())
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(f"“{text}”不是学年：请写起止年份，后一年比前一年大1，如 2024-2025")
    start = int(match[1])
    if start < 1950 or start > today.year:
        raise ValueError(f"学年{start}-{start + 1}不在合理范围内，请核对年份")
    return f"{start}-{start + 1}"


def _parse_month(text: str, today: datetime.date) -> str:
    clean = unicodedata.normalize("NFKC", text).strip()
    match = _MONTH.match(clean) or _COMPACT_MONTH.match(clean)
    if match:
        year, month = int(match[1]), int(match[2])
    else:
        try:  # Excel turns "2024-05" into a date: its day does not matter
            day = parse_date(clean)
        except ValueError:
            raise ValueError(f"“{text}”不是月份：请写年-月，如 2024-05") from None
        year, month = day.year, day.month
    if not 1 <= month <= 12:
        raise ValueError(f"“{text}”的月份不存在：月份应为1—12")
    if year < 1950 or (year, month) > (today.year, today.month):
        raise ValueError(f"统计月份{year}-{month:02d}不在合理范围内（不能晚于本月），请核对")
    return f"{year}-{month:02d}"


# —— Matching with the registry ————————————————————————————————————————————————————————————————————


@dataclass(frozen=True, slots=True)
class Match:
    """A registry person found by ID hash; household and area are None when they belong to none now."""

    person_id: int
    household_id: int | None
    area_id: int | None


def match_persons(hashes: Iterable[str]) -> dict[str, Match]:
    """ID hash → the registry person with it and their open membership's household (bulk, in chunks)."""
    from zhenxing.registry.models import Membership, Person

    wanted = list(dict.fromkeys(h for h in hashes if h))
    persons: dict[str, int] = {}
    for chunk in chunks(wanted, LOOKUP_CHUNK):
        persons.update(Person.objects.filter(id_hash__in=chunk).values_list("id_hash", "pk"))
    homes: dict[int, tuple[int, int]] = {}
    person_ids = list(persons.values())
    for chunk in chunks(person_ids, LOOKUP_CHUNK):
        open_stays = Membership.objects.filter(
            person_id__in=chunk, end_date__isnull=True, household__is_active=True
        ).values_list("person_id", "household_id", "household__area_id")
        homes.update((person, (household, area)) for person, household, area in open_stays)
    found = {}
    for id_hash, person_id in persons.items():
        household, area = homes.get(person_id, (None, None))
        found[id_hash] = Match(person_id, household, area)
    return found


def match_counts(plan: FeedPlan) -> dict:
    """How the clean rows would match (the preview): rows matched to a household, and not."""
    found = match_persons(r.id_hash for r in plan.rows)
    matched = sum(1 for r in plan.rows if (m := found.get(r.id_hash)) is not None and m.household_id)
    return {"matched": matched, "unmatched": len(plan.rows) - matched}


# —— Templates and reports ————————————————————————————————————————————————————————————————————————


def template_workbook(kind: str) -> bytes:
    """The blank template of a feed: the headers, drop-down lists for the choices, and 填写说明."""
    from zhenxing.lib.tabular import write_xlsx

    columns = FEED_COLUMNS[kind]
    widths = {c.header: 22 for c in columns if c.key == ID_KEY}
    sheet = SheetSpec(
        name=sheet_name(kind),
        headers=[c.header for c in columns],
        choices={c.header: list(c.choices) for c in columns if c.choices},
        column_widths=widths,
    )
    notes = [
        (
            c.header,
            "必填" if c.required else "选填",
            "；".join(filter(None, [c.note, "可选：" + "、".join(c.choices) if c.choices else ""])),
        )
        for c in columns
    ]
    notes.append(
        (
            "（说明）",
            "",
            "列的顺序可以调整；多出的列会被忽略；每行一条记录。台账中找不到的号码会保留并列为“未匹配”。",
        )
    )
    guide = SheetSpec(
        name="填写说明",
        headers=["列", "是否必填", "说明"],
        rows=notes,
        column_widths={"列": 24, "是否必填": 10, "说明": 80},
    )
    return write_xlsx([sheet, guide])
