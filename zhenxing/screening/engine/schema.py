"""The screening snapshot: Parquet files in one directory, the engine's only input.

The Django side writes the snapshot (registry + stored feed rows); the engine and the generator read
and write exactly these schemas. Every column carries its meaning in the field metadata (`doc`), so
`pyarrow.parquet.read_schema(path)` of a snapshot file can be checked against this module.

Files:
- `households.parquet` — one row per household (`HOUSEHOLDS`);
- `persons.parquet` — one row per person; `household_id` is the person's current household (`PERSONS`);
- `incomes.parquet` — one row per household and income year, (household_id, year) unique (`INCOMES`);
- `feed_<kind>.parquet` — the stored rows of one department feed kind (formats.md §3), `FEEDS[kind]`.
  A missing feed file means "no rows of that kind".

Layers: a registry table (`LAYERED`) may come in three files — its base file as above, `<table>.delta.parquet`
(the current rows of some households, the table's schema) and `<table>.replaced.parquet` (one column,
`household_id`, `REPLACED`: the households whose rows in the base file are out of date). The table is then
the base file's rows of every other household plus the delta's rows. Both extra files or neither. (The
Django side keeps the base files of the last run and writes only what changed since: `screening/snapshot.py`.)

Privacy: the snapshot holds no names and no ID numbers; persons and feed rows meet only through
`id_hash` (64 lowercase hex characters, the keyed hash the registry already stores). At most one
active person (`is_active`) has a given `id_hash`.

Join key: next to `id_hash`, persons and every feed carry `key_hi` and `key_lo`, its first and second
16 hex characters read as signed 64-bit integers (`hash_key`), computed once when the snapshot is
written. The engine joins on these two integers and never reads `id_hash` (comparing 64-byte strings
and reading them from Parquet cost more than half of a 20-million-person run's join). They are a
prefix of the keyed hash, so they reveal nothing the hash does not. Two different hashes share a key
only if their first 128 bits agree: for a keyed SHA-256 with 30 million hashes about 30e6² / 2¹²⁹ ≈
10⁻²⁴, never in practice. A hash that is not 64 lowercase hex characters (say an empty one) has empty
keys and matches no one. Both are signed 64-bit because Spark has no wider or unsigned integer type.

Dating: each feed row is dated by one column (`DATED_BY`); rows dated after the as-of date never count.
A row whose dating column is empty is not "after the as-of date" and counts for the rules without a
window (windows need a date). A school year "2024-2025" is dated 1 September 2024; a statistical month
"2024-05" is dated by its month.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyarrow as pa

MONEY = pa.decimal128(14, 2)


def _field(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


def _key(name: str, doc: str) -> pa.Field:
    return _field(name, pa.int64(), doc, nullable=False)


HOUSEHOLDS = pa.schema(
    [
        _key("household_id", "户的内部主键（registry Household.pk）"),
        _field("area_code", pa.string(), "所在行政村/社区的 12 位行政区划代码", nullable=False),
        _field("kind", pa.string(), "户类型：lifted = 脱贫户，ordinary = 一般农户", nullable=False),
        _field(
            "monitoring_status",
            pa.string(),
            "监测状态：none = 未纳入监测，monitored = 监测对象（风险未消除），eliminated = 风险已消除",
            nullable=False,
        ),
        _field("open_identification", pa.bool_(), "有未办结的识别认定案件（识别程序中）", nullable=False),
    ]
)

KEY_HI_DOC = "id_hash 前 16 位十六进制作为有符号 64 位整数（关联键高位，由 id_hash 算出）"
KEY_LO_DOC = "id_hash 第 17–32 位十六进制作为有符号 64 位整数（关联键低位，由 id_hash 算出）"
KEY_COLUMNS = ("key_hi", "key_lo")  # derived from id_hash by `hash_key`; the engine joins on them

PERSONS = pa.schema(
    [
        _key("person_id", "人员的内部主键（registry Person.pk）"),
        _key("household_id", "人员当前所在户（households.household_id）"),
        _field(
            "id_hash", pa.string(), "公民身份号码的带密钥哈希（64 位十六进制小写），与部门数据关联的键", False
        ),
        _field("key_hi", pa.int64(), KEY_HI_DOC),
        _field("key_lo", pa.int64(), KEY_LO_DOC),
        _field(
            "labour_capacity",
            pa.string(),
            "劳动能力：普通劳动力 / 技能劳动力 / 弱劳动力或半劳动力 / 丧失劳动力 / 无劳动力",
        ),
        _field("is_active", pa.bool_(), "是否为户内现有成员（已迁出、已注销的为 false）", nullable=False),
    ]
)

INCOMES = pa.schema(
    [
        _key("household_id", "户（households.household_id）"),
        _field("year", pa.int32(), "收入年度", nullable=False),
        _field("net_income_per_capita", MONEY, "家庭年人均纯收入（元）", nullable=False),
    ]
)


def _feed(*fields: pa.Field, head: bool = False) -> pa.Schema:
    who = "户主的公民身份号码哈希" if head else "公民身份号码哈希"
    return pa.schema(
        [
            _key("row_id", "部门数据行的内部主键（在同一类数据中唯一），预警据此引用原始行"),
            _field("id_hash", pa.string(), f"{who}（与 persons.id_hash 关联）", nullable=False),
            _field("key_hi", pa.int64(), KEY_HI_DOC),
            _field("key_lo", pa.int64(), KEY_LO_DOC),
            *fields,
        ]
    )


S, D = pa.string(), pa.date32()

FEEDS: dict[str, pa.Schema] = {
    "medical": _feed(
        _field("settlement_date", D, "结算日期"),
        _field("visit_type", S, "就诊类型：住院 / 门诊"),
        _field("total_cost", MONEY, "医疗总费用（元）"),
        _field("basic_insurance", MONEY, "基本医保支付（元）"),
        _field("critical_illness_insurance", MONEY, "大病保险支付（元）"),
        _field("medical_assistance", MONEY, "医疗救助支付（元）"),
        _field("self_pay", MONEY, "个人自付（元）"),
    ),
    "education": _feed(
        _field("school_year", S, "学年，如 2024-2025（自前一年的 9 月 1 日起算）"),
        _field("stage", S, "学段：小学 / 初中 / 高中 / 中职 / 高职 / 本科及以上"),
        _field("school", S, "学校名称"),
        _field("enrolment_status", S, "在读状态：在读 / 辍学 / 休学 / 毕业"),
        _field("personal_cost", MONEY, "个人负担费用（元）"),
    ),
    "civil_affairs": _feed(
        _field("assistance_type", S, "救助类型：低保 / 特困 / 临时救助"),
        _field("start_date", D, "开始日期"),
        _field("end_date", D, "终止日期（未终止为空）"),
        _field("monthly_amount", MONEY, "月救助金额（元）"),
    ),
    "disability": _feed(
        _field("disability_category", S, "残疾类别"),
        _field("disability_grade", S, "残疾等级：一级 / 二级 / 三级 / 四级"),
        _field("issue_date", D, "发证日期"),
    ),
    "housing": _feed(
        _field("appraisal_date", D, "鉴定日期"),
        _field("safety_grade", S, "房屋安全等级：A / B / C / D"),
        head=True,
    ),
    "emergency": _feed(
        _field("disaster_type", S, "灾害类型"),
        _field("occurrence_date", D, "发生日期"),
        _field("direct_loss", MONEY, "直接经济损失（元）"),
        _field("house_damage", S, "房屋倒损情况：无 / 一般损坏 / 严重损坏 / 倒塌"),
        head=True,
    ),
    "employment": _feed(
        _field("stat_month", S, "统计月份，YYYY-MM（如 2024-05，月份两位）"),
        _field("employment_status", S, "就业状态：务工 / 失业 / 返乡 / 公益性岗位"),
        _field("work_place", S, "务工地点"),
    ),
    "police": _feed(
        _field("registration_status", S, "户籍状态：正常 / 死亡 / 迁出"),
        _field("change_date", D, "变动日期"),
    ),
    "public_payroll": _feed(
        _field("employer", S, "单位名称"),
        _field("hire_date", D, "入职日期"),
    ),
    "vehicle": _feed(
        _field("plate_number", S, "号牌号码"),
        _field("vehicle_type", S, "车辆类型：小型轿车 / 中型客车 / 货车 / 农用车 / 摩托车"),
        _field("registration_date", D, "登记日期"),
    ),
    "real_estate": _feed(
        _field("location", S, "坐落"),
        _field("property_use", S, "用途：住宅 / 商业 / 其他"),
        _field("registration_date", D, "登记日期"),
        _field("floor_area", MONEY, "建筑面积（平方米）"),
    ),
    "business": _feed(
        _field("entity_name", S, "主体名称"),
        _field(
            "entity_type", S, "主体类型：个体工商户 / 有限责任公司 / 股份有限公司 / 农民专业合作社 / 其他"
        ),
        _field("registered_capital", MONEY, "注册资本（万元）"),
        _field("founded_date", D, "成立日期"),
        _field("registration_status", S, "登记状态：存续 / 注销 / 吊销"),
    ),
}

FEED_LABELS = {
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

# How each feed's rows are dated (see the module docstring). DATE columns compare with the as-of date;
# MONTH ('YYYY-MM') with the as-of month; SCHOOL_YEAR ('YYYY-YYYY') by its start on 1 September.
DATE, MONTH, SCHOOL_YEAR = "date", "month", "school_year"
DATED_BY: dict[str, tuple[str, str]] = {
    "medical": ("settlement_date", DATE),
    "education": ("school_year", SCHOOL_YEAR),
    "civil_affairs": ("start_date", DATE),
    "disability": ("issue_date", DATE),
    "housing": ("appraisal_date", DATE),
    "emergency": ("occurrence_date", DATE),
    "employment": ("stat_month", MONTH),
    "police": ("change_date", DATE),
    "public_payroll": ("hire_date", DATE),
    "vehicle": ("registration_date", DATE),
    "real_estate": ("registration_date", DATE),
    "business": ("founded_date", DATE),
}

# Columns the engine adds to every matched feed row (from persons and households); rule conditions may
# use them next to the feed's own columns.
MEMBER_COLUMNS: dict[str, pa.DataType] = {
    "person_id": pa.int64(),
    "household_id": pa.int64(),
    "labour_capacity": pa.string(),
    "household_kind": pa.string(),  # households.kind
    "monitoring_status": pa.string(),
    "open_identification": pa.bool_(),
}

TABLES: dict[str, pa.Schema] = {
    "households": HOUSEHOLDS,
    "persons": PERSONS,
    "incomes": INCOMES,
    **{f"feed_{kind}": schema for kind, schema in FEEDS.items()},
}


def file_name(table: str) -> str:
    """The Parquet file of a table inside the snapshot directory."""
    return f"{table}.parquet"


# Registry tables that may be given as a base file plus a delta (module docstring, "Layers").
LAYERED = ("households", "persons", "incomes")
REPLACED = pa.schema([pa.field("household_id", pa.int64(), nullable=False)])


def delta_name(table: str) -> str:
    """The file of a layered table's delta: the current rows of the households in `replaced_name(table)`."""
    return f"{table}.delta.parquet"


def replaced_name(table: str) -> str:
    """The file of the households whose rows in a layered table's base file are not to be read."""
    return f"{table}.replaced.parquet"


# The derived "income" source: the latest income year (not after the as-of year) of each household, with
# the year before it and the monitoring line of that year (see compile.py).
INCOME = "income"
INCOME_COLUMNS: dict[str, pa.DataType] = {
    "household_id": pa.int64(),
    "year": pa.int32(),  # the latest income year ≤ the as-of year
    "income": MONEY,  # 人均纯收入 of that year
    "previous_income": MONEY,  # 人均纯收入 of the year before (empty if not recorded)
    "line": MONEY,  # the monitoring line of `year` (empty if no line is known for it)
    "household_kind": pa.string(),
    "monitoring_status": pa.string(),
    "open_identification": pa.bool_(),
    "person_id": pa.int64(),  # always empty: income rules are about the household
    "row_id": pa.int64(),  # always empty: no feed row
}


def columns_of(source: str) -> dict[str, pa.DataType]:
    """The columns a rule on `source` (a feed kind or INCOME) may use, with their types."""
    if source == INCOME:
        return INCOME_COLUMNS
    return {**{f.name: f.type for f in FEEDS[source]}, **MEMBER_COLUMNS}


# --- the join key ------------------------------------------------------------------------------------------
_HASH = re.compile(r"[0-9a-f]{64}")
_SIGN = 1 << 63


def _signed(hex16: str) -> int:
    value = int(hex16, 16)
    return value - (_SIGN << 1) if value >= _SIGN else value


def hash_key(id_hash: str | None) -> tuple[int | None, int | None]:
    """(key_hi, key_lo) of an ID hash: its first and second 16 hex characters as signed 64-bit integers;
    (None, None) unless it is 64 lowercase hex characters (see the module docstring)."""
    if id_hash is None or not _HASH.fullmatch(id_hash):
        return None, None
    return _signed(id_hash[:16]), _signed(id_hash[16:32])


def hash_keys(id_hashes: Iterable[str | None]) -> tuple[pa.Array, pa.Array]:
    """The `key_hi` and `key_lo` columns of a column of ID hashes."""
    keys = [hash_key(h) for h in id_hashes]
    return pa.array([k[0] for k in keys], pa.int64()), pa.array([k[1] for k in keys], pa.int64())
