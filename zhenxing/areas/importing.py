"""Import villages and groups from `.xlsx`/`.xls`/`.csv` with the columns 代码, 名称, 上级代码.

Validate the whole file first (`validate_areas`), show the plan, then `commit_areas` in one transaction:
nothing is written while any row has an error.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from zhenxing.areas import actions
from zhenxing.areas.models import CHILD_LEVEL, CODE_LENGTH, Area, Level
from zhenxing.lib.tabular import Column, TableError, read_table

COLUMNS = [
    Column("code", "代码", aliases=("区划代码", "统计用区划代码"), required=True),
    Column("name", "名称", aliases=("区划名称",), required=True),
    Column("parent_code", "上级代码", aliases=("上级区划代码",), required=True),
]
HEADERS = [c.header for c in COLUMNS]


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class PlannedArea:
    row: int
    code: str
    name: str
    parent_code: str
    action: str  # "add" | "rename" | "unchanged"
    old_name: str = ""


@dataclass
class AreaImportPlan:
    rows: list[PlannedArea] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def validate_areas(data: bytes, filename: str, within: Area) -> AreaImportPlan:
    """Check every row; `within` is the importing user's scope (rows outside it are errors)."""
    plan = AreaImportPlan()
    try:
        table = read_table(data, filename, columns=COLUMNS)
    except TableError as e:
        plan.errors.append(RowError(0, "", str(e)))
        return plan
    if table.ignored_headers:
        plan.notices.append("以下列不属于模板，已忽略：" + "、".join(table.ignored_headers))
    existing = {a.code: a for a in Area.objects.within(within)}
    in_file: dict[str, int] = {}
    for row in table.rows:
        in_file.setdefault(row.values["code"], row.number)

    seen: set[str] = set()
    for row in table.rows:
        code, name, parent_code = (row.values[k].strip() for k in ("code", "name", "parent_code"))

        def error(column: str, reason: str, number=row.number) -> None:
            plan.errors.append(RowError(number, column, reason))

        if code in seen:
            error("代码", f"代码 {code} 在文件中重复出现（第{in_file[code]}行已有）")
            continue
        seen.add(code)
        if not name:
            error("名称", "名称不能为空")
        elif len(name) > 60:
            error("名称", "名称不能超过60个字")
        if not code.isdigit() or len(code) not in (CODE_LENGTH[Level.VILLAGE], CODE_LENGTH[Level.GROUP]):
            error("代码", f"代码应为12位（村/社区）或15位（村民小组）数字，当前为“{code}”")
            continue
        if not code.startswith(within.code):
            error("代码", f"代码 {code} 不在您的管辖范围（{within.full_name}）内")
            continue
        parent = existing.get(parent_code)
        if parent is None and parent_code not in in_file:
            error("上级代码", f"上级代码 {parent_code} 不存在：请先添加上级区划，或在同一文件中一并导入")
            continue
        parent_length = len(parent.code) if parent else len(parent_code)
        if len(code) != parent_length + 3 or not code.startswith(parent_code):
            error("代码", f"代码 {code} 应为上级代码 {parent_code} 后加3位数字")
            continue
        if parent is not None and (CHILD_LEVEL.get(Level(parent.level)) is None or not parent.is_active):
            error("上级代码", f"上级“{parent.name}”已撤销或不能有下级")
            continue
        if code in existing:
            current = existing[code]
            if current.parent.code != parent_code:
                error("上级代码", f"代码 {code} 已存在，归属“{current.parent.name}”，与文件中的上级不一致")
                continue
            action = "unchanged" if current.name == name else "rename"
            plan.rows.append(PlannedArea(row.number, code, name, parent_code, action, current.name))
        else:
            plan.rows.append(PlannedArea(row.number, code, name, parent_code, "add"))
    if not table.rows:
        plan.errors.append(RowError(0, "", "文件中没有数据行"))
    return plan


def commit_areas(
    actor, plan: AreaImportPlan, progress: Callable[[int, int], None] | None = None, *, is_demo: bool = False
) -> dict[str, int]:
    """Write a valid plan in one transaction (parents before children); all or nothing."""
    if not plan.is_valid:
        raise ValidationError("文件中还有错误，请改正后重新上传")
    ordered = sorted(plan.rows, key=lambda r: len(r.code))
    total = len(ordered)
    with transaction.atomic():
        for done, planned in enumerate(ordered, start=1):
            if planned.action == "add":
                parent = Area.objects.get(code=planned.parent_code)
                actions.add_area(actor, parent, planned.code, planned.name, is_demo=is_demo)
            elif planned.action == "rename":
                actions.rename_area(actor, Area.objects.get(code=planned.code), planned.name)
            if progress:
                progress(done, total)
    return {"added": plan.count("add"), "renamed": plan.count("rename"), "unchanged": plan.count("unchanged")}
