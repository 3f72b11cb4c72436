"""Load an existing project library from the template (`.xlsx`/`.xls`/`.csv`).

`validate_projects` checks every row and returns a plan; `commit_projects` writes a valid plan in one
transaction through `actions.propose_project` (all or nothing). Imported projects start at 村申报 and
go through the same review steps as any other project.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from zhenxing.areas.models import Area, Level
from zhenxing.funds import actions
from zhenxing.funds.models import Category, FundSource, Project
from zhenxing.lib.tabular import Column, TableError, parse_amount, parse_date, read_table

AMOUNT_COLUMNS = {
    FundSource.CENTRAL: "中央衔接资金",
    FundSource.PROVINCIAL: "省级衔接资金",
    FundSource.CITY: "市级衔接资金",
    FundSource.DISTRICT: "区级衔接资金",
    FundSource.OTHER: "其他资金",
}
COLUMNS = [
    Column("code", "项目编码"),
    Column("year", "项目年度", required=True),
    Column("name", "项目名称", required=True),
    Column("category", "项目类别", required=True),
    Column("sub_type", "项目子类型"),
    Column("leading", "主导产业"),
    Column("content", "建设内容", required=True),
    Column("area_code", "实施地点代码", aliases=("村代码", "区划代码"), required=True),
    Column("period_start", "实施开始", required=True),
    Column("period_end", "实施结束", required=True),
    *[Column(source.value, header) for source, header in AMOUNT_COLUMNS.items()],
    Column("targets", "绩效目标"),
    Column("linkage", "联农带农机制"),
    Column("households", "受益户编号"),
    Column("unit", "责任单位", required=True),
    Column("person", "责任人", required=True),
]
HEADERS = [c.header for c in COLUMNS]
CATEGORY_BY_LABEL = {c.label: c.value for c in Category}
EXAMPLE = [
    "",
    "2024",
    "新港村高山茶园提质扩面",
    "产业发展",
    "种植业基地",
    "是",
    "新建标准化茶园200亩",
    "420704100201",
    "2024-03-01",
    "2024-11-30",
    "800000.00",
    "200000.00",
    "0",
    "0",
    "0",
    "新增茶园200亩，带动30户增收",
    "土地流转+务工+分红",
    "",
    "泽林镇人民政府",
    "张三",
]


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ProjectImportPlan:
    rows: list[tuple[int, actions.ProjectData]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _split(text: str) -> list[str]:
    for sep in ("，", "、", ";", "；", "\n", " "):
        text = text.replace(sep, ",")
    return [t for t in text.split(",") if t.strip()]


def validate_projects(data: bytes, filename: str, scope_area: Area) -> ProjectImportPlan:
    """Check every row; `scope_area` is the importing user's area (rows outside it are errors)."""
    plan = ProjectImportPlan()
    try:
        table = read_table(data, filename, columns=COLUMNS)
    except TableError as e:
        plan.errors.append(RowError(0, "", str(e)))
        return plan
    if table.ignored_headers:
        plan.notices.append("以下列不属于模板，已忽略：" + "、".join(table.ignored_headers))
    areas = {
        a.code: a for a in Area.objects.within(scope_area).filter(level__in=[Level.VILLAGE, Level.TOWNSHIP])
    }
    codes_in_file: set[str] = set()
    existing = set(Project.objects.values_list("code", flat=True))
    for row in table.rows:
        v = row.values
        errors: list[RowError] = []

        def err(column, reason, number=row.number, errors=errors):
            errors.append(RowError(number, column, reason))

        code = v["code"].strip()
        if code and (code in existing or code in codes_in_file):
            err("项目编码", f"项目编码 {code} 已存在或在文件中重复")
        codes_in_file.add(code)
        year = int(v["year"]) if v["year"].isdigit() and 2000 <= int(v["year"]) <= 2100 else None
        if year is None:
            err("项目年度", "项目年度应为四位年份，如 2024")
        category = CATEGORY_BY_LABEL.get(v["category"].strip())
        if category is None:
            err("项目类别", f"项目类别应为{'、'.join(CATEGORY_BY_LABEL)}之一")
        leading = v["leading"].strip() in ("是", "Y", "y", "1", "TRUE")
        if v["leading"].strip() not in ("", "是", "否", "Y", "N", "y", "n", "1", "0", "TRUE", "FALSE"):
            err("主导产业", "主导产业填“是”或“否”")
        area = areas.get(v["area_code"].strip())
        if area is None:
            err(
                "实施地点代码",
                f"区划代码 {v['area_code']} 不存在或不在您的管辖范围（{scope_area.full_name}）内，应为村或乡镇代码",
            )
        dates: dict[str, datetime.date] = {}
        for key, header in (("period_start", "实施开始"), ("period_end", "实施结束")):
            try:
                dates[key] = parse_date(v[key])
            except ValueError as e:
                err(header, str(e))
        amounts: dict[str, Decimal] = {}
        for source, header in AMOUNT_COLUMNS.items():
            try:
                amounts[source] = parse_amount(v[source.value] or "0")
            except ValueError as e:
                err(header, str(e))
        for key, header in (
            ("name", "项目名称"),
            ("content", "建设内容"),
            ("unit", "责任单位"),
            ("person", "责任人"),
        ):
            if not v[key].strip():
                err(header, f"{header}不能为空")
        if errors:
            plan.errors += errors
            continue
        data = actions.ProjectData(
            year=year,
            name=v["name"],
            category=category,
            content=v["content"],
            area=area,
            period_start=dates["period_start"],
            period_end=dates["period_end"],
            responsible_unit=v["unit"],
            responsible_person=v["person"],
            amounts=amounts,
            sub_type=v["sub_type"],
            is_leading_industry=leading,
            performance_targets=v["targets"],
            linkage_mechanism=v["linkage"],
            household_numbers=_split(v["households"]),
            code=code,
        )
        try:
            actions._clean(_Scope(scope_area), data)
        except ValidationError as e:
            err("", e.messages[0])
            plan.errors += errors
            continue
        plan.rows.append((row.number, data))
    if not table.rows:
        plan.errors.append(RowError(0, "", "文件中没有数据行"))
    return plan


@dataclass
class _Scope:
    """Stands in for the actor in the row check: only its area is read."""

    area: Area


# Progress is reported every this many rows written.
PROGRESS_EVERY = 50


@transaction.atomic
def commit_projects(
    actor, plan: ProjectImportPlan, progress: Callable[[int, int], None] | None = None
) -> list[Project]:
    """Write every row of a valid plan, in one transaction; a failing row rolls everything back.

    Runs as the `funds.import_projects` job from the web page; `zhenxing import projects` runs it inline.
    """
    if not plan.is_valid:
        raise ValidationError("导入文件有错误，没有写入任何数据")
    created = []
    total = len(plan.rows)
    for done, (number, data) in enumerate(plan.rows, start=1):
        try:
            created.append(actions.propose_project(actor, data))
        except ValidationError as e:
            raise ValidationError(f"第{number}行：{e.messages[0]}") from None
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return created
