"""Check a `家庭收入` file (one row per household and year) and plan what committing it would do.

Also reads the national household export (national-formats §3.3): 纯收入 is checked like 人均纯收入 and
the 转移性收入 sub-items are kept when present (they must add up). A workbook that also has a `户籍成员`
sheet is imported together with it: its households count as "in the same import", and their size is
the number of members in the file.

Household size for a year is the number of members on 31 December (today, for the current year),
read from the membership history; a year before the household was registered in the platform takes
its size at registration, the best the platform knows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from zhenxing.areas.models import Area
from zhenxing.lib.tabular import Row, TableError, parse_amount, read_table
from zhenxing.registry.history import income_values
from zhenxing.registry.importing.columns import (
    HOUSEHOLD_SHEET,
    INCOME_AMOUNTS,
    INCOME_COLUMNS,
    INCOME_HEADER,
    INCOME_OPTIONAL_AMOUNTS,
    INCOME_SHEET,
    TRANSFER_ITEMS,
)
from zhenxing.registry.importing.common import (
    NEW,
    UNCHANGED,
    UPDATE,
    Progress,
    RowError,
    chunks,
    no_gc,
    notice_for_ignored,
    parse_whole_number,
    sheet_names,
)
from zhenxing.registry.importing.households import HouseholdPlan, validate_households
from zhenxing.registry.models import Household, IncomeYear, Membership

FIRST_YEAR = 2014  # the first year of 建档立卡 registration
TOLERANCE = Decimal("1.00")  # 人均纯收入 / 纯收入 typed in a file may differ from ours by rounding
CENT = Decimal("0.01")


@dataclass(slots=True)
class PlannedIncome:
    row: int
    number: str
    year: int
    amounts: dict  # the five required amounts + 理赔收入/合规自付支出 (None when blank), as Decimals
    transfer_items: dict  # 低保金 → "1200.00", only the sub-items the row gives
    household_size: int = 0
    net_income: Decimal = Decimal("0.00")
    net_income_per_capita: Decimal = Decimal("0.00")
    action: str = NEW
    household_id: int | None = None
    income_id: int | None = None
    given_per_capita: Decimal | None = None
    given_net_income: Decimal | None = None

    def values(self) -> dict:
        """The row as stored (`history.income_values` form), for comparing with a stored year."""
        return {
            **{k: None if v is None else str(v) for k, v in self.amounts.items()},
            "household_size": str(self.household_size),
            "net_income": str(self.net_income),
            "net_income_per_capita": str(self.net_income_per_capita),
        }


@dataclass
class IncomePlan:
    filename: str = ""
    sheet: str = INCOME_SHEET
    incomes: list[PlannedIncome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    households: HouseholdPlan | None = None  # the workbook's 户籍成员 sheet, committed first
    rows: int = 0

    @property
    def all_errors(self) -> list[RowError]:
        extra = self.households.errors if self.households else []
        return sorted(
            [*extra, *self.errors], key=lambda e: (e.sheet != (self.households or self).sheet, e.row)
        )

    @property
    def is_valid(self) -> bool:
        return not self.all_errors

    @property
    def has_file_error(self) -> bool:
        return any(e.row == 0 for e in self.all_errors)

    def error_households(self) -> set[str]:
        return {e.household for e in self.all_errors if e.household}

    def selected(self, only_valid: bool = False) -> list[PlannedIncome]:
        if self.has_file_error:
            return []
        if not only_valid:
            return list(self.incomes)
        bad = self.error_households()
        return [i for i in self.incomes if i.number not in bad]

    def summary(self) -> dict:
        clean = self.selected(only_valid=True)
        summary = {
            "incomes": len(self.incomes),
            "new": sum(1 for i in self.incomes if i.action == NEW),
            "updated": sum(1 for i in self.incomes if i.action == UPDATE),
            "unchanged": sum(1 for i in self.incomes if i.action == UNCHANGED),
            "households": len({i.number for i in self.incomes}),
            "errors": len(self.all_errors),
            "error_households": len(self.error_households()),
            "clean_incomes": len(clean),
            "clean_changes": sum(1 for i in clean if i.action != UNCHANGED),
            "file_error": self.has_file_error,
        }
        if self.households is not None:
            figures = self.households.summary()
            summary |= {f"households_{k}": figures[k] for k in ("new", "updated", "unchanged")}
            summary["clean_changes"] += figures["clean_changes"]
        return summary


def validate_income(
    data: bytes, filename: str, scope_area: Area, progress: Progress | None = None
) -> IncomePlan:
    """Check the whole file against the registry within `scope_area` (the importing user's area)."""
    plan = IncomePlan(filename=filename)
    if HOUSEHOLD_SHEET in sheet_names(data, filename):
        plan.households = validate_households(data, filename, scope_area, progress, alone=False)
    try:
        with no_gc():
            table = read_table(data, filename, sheet=INCOME_SHEET, columns=INCOME_COLUMNS)
    except TableError as e:
        plan.errors.append(RowError(INCOME_SHEET, 0, "", e.message))
        return plan
    plan.sheet = table.sheet_name or INCOME_SHEET
    plan.rows = len(table.rows)
    plan.notices += notice_for_ignored(table.ignored_headers)
    if not table.rows:
        plan.errors.append(
            RowError(plan.sheet, 0, "", "文件中没有数据行：请在表头下方逐行填写，每户每年一行")
        )
        return plan
    with no_gc():
        _IncomeChecker(plan, table.columns, scope_area).run(table.rows, progress)
    return plan


class _IncomeChecker:
    def __init__(self, plan: IncomePlan, columns: dict[str, str], scope: Area):
        self.plan = plan
        self.scope = scope
        self.headers = {key: columns.get(key, header) for key, header in INCOME_HEADER.items()}
        self.transfer_keys = [k for k in TRANSFER_ITEMS if k in columns]
        self.this_year = timezone.localdate().year

    def error(self, row: int, key: str, reason: str, number: str) -> None:
        self.plan.errors.append(RowError(self.plan.sheet, row, self.headers.get(key, key), reason, number))

    def run(self, rows: list[Row], progress: Progress | None) -> None:
        seen: dict[tuple[str, int], int] = {}
        for row in rows:
            income = self.check_row(row)
            number, year = row.values["number"], parse_whole_number(row.values["year"].removesuffix("年"))
            if number and year is not None:
                first = seen.setdefault((number, year), row.number)
                if first != row.number:
                    self.error(
                        row.number,
                        "year",
                        f"户 {number} 的{year}年度收入已在第{first}行填写：同一户同一年度只能填一行，请删除重复的行",
                        number,
                    )
                    continue
            if income is not None:
                self.plan.incomes.append(income)
        if progress:
            progress(len(rows), len(rows))
        self.compare()
        self.plan.errors.sort(key=lambda e: e.row)

    def amount(self, row: Row, key: str, number: str, *, required: bool, negative: bool = False):
        text = row.values[key]
        header = INCOME_HEADER[key]
        if not text:
            if required:
                self.error(row.number, key, f"未填写{header}：没有这项收入（支出）请填0", number)
                return False
            return None
        try:
            return parse_amount(text, allow_negative=negative)
        except ValueError as e:
            message = str(e)
            if message == "金额不能为负数":
                message = "金额不能为负数：请填写0或正数"
            elif message == "金额最多两位小数":
                message = "金额最多两位小数：请保留到分（如 1234.56）"
            self.error(row.number, key, message, number)
            return False

    def check_row(self, row: Row) -> PlannedIncome | None:
        v = row.values
        number = v["number"]
        ok = True
        if not number:
            self.error(row.number, "number", "未填写户编号：请填写该户在台账中的户编号", "")
            ok = False
        year = parse_whole_number(v["year"].removesuffix("年"))
        if year is None or not FIRST_YEAR <= year <= self.this_year:
            reason = f"年度应为{FIRST_YEAR}—{self.this_year}之间的4位年份，当前为“{v['year']}”：请核对"
            self.error(
                row.number, "year", reason if v["year"] else "未填写年度：请填写4位年份，如 2024", number
            )
            ok = False
        amounts = {}
        for key in INCOME_AMOUNTS:
            amounts[key] = self.amount(row, key, number, required=True)
        for key in INCOME_OPTIONAL_AMOUNTS:
            amounts[key] = self.amount(row, key, number, required=False)
        items = {}
        for key in self.transfer_keys:
            items[key] = self.amount(row, key, number, required=False)
        given_per_capita = self.amount(row, "per_capita", number, required=False, negative=True)
        given_net = self.amount(row, "net_income", number, required=False, negative=True)
        if not ok or any(
            a is False for a in (*amounts.values(), *items.values(), given_per_capita, given_net)
        ):
            return None
        transfer_items = {TRANSFER_ITEMS[k]: str(a) for k, a in items.items() if a is not None}
        if transfer_items:
            total = sum((a for a in items.values() if a is not None), Decimal("0.00"))
            if total != amounts["transfer_income"]:
                parts = " + ".join(f"{label}{value}元" for label, value in transfer_items.items())
                self.error(
                    row.number,
                    "transfer_income",
                    f"转移性收入明细合计{total}元（{parts}），与转移性收入{amounts['transfer_income']}元不一致："
                    "请核对转移性收入或各明细",
                    number,
                )
                return None
        return PlannedIncome(
            row.number,
            number,
            year,
            amounts,
            transfer_items,
            given_per_capita=given_per_capita,
            given_net_income=given_net,
        )

    def compare(self) -> None:
        incomes = self.plan.incomes
        numbers = sorted({i.number for i in incomes})
        stored: dict[str, dict] = {}
        for chunk in chunks(numbers):
            for h in Household.objects.filter(number__in=chunk).values(
                "id", "number", "area__code", "is_active"
            ):
                stored[h["number"]] = h
        in_import = self.plan.households.households if self.plan.households else {}
        ids = {}
        for number in numbers:
            h = stored.get(number)
            if h is not None and h["area__code"].startswith(self.scope.code):
                ids[number] = h["id"]
        sizes = sizes_for_years({(ids[i.number], i.year) for i in incomes if i.number in ids})
        existing = stored_incomes(list(ids.values()))
        kept = []
        for income in incomes:
            household_id = ids.get(income.number)
            if household_id is not None:
                if not stored[income.number]["is_active"]:
                    self.error(
                        income.row,
                        "number",
                        f"户 {income.number} 已注销（已合并到其他户）：不能登记收入，请核对户编号",
                        income.number,
                    )
                    continue
                income.household_id = household_id
                income.household_size = sizes.get((household_id, income.year), 0)
            elif income.number in in_import:
                income.household_size = len(in_import[income.number].members)
            else:
                self.error(
                    income.row,
                    "number",
                    f"户编号 {income.number} 不在您管辖范围内的台账中，本次导入的户籍成员中也没有："
                    "请核对户编号，或先导入该户的户籍成员",
                    income.number,
                )
                continue
            if not self.compute(income):
                continue
            before = existing.get((household_id, income.year))
            if before is not None:
                income.income_id = before["id"]
                income.action = UNCHANGED if _same(before, income) else UPDATE
            kept.append(income)
        self.plan.incomes = kept

    def compute(self, income: PlannedIncome) -> bool:
        a = income.amounts
        if income.household_size <= 0:
            self.error(
                income.row,
                "number",
                f"户 {income.number} 在{income.year}年没有在册成员，无法计算人均纯收入：请先核对该户的家庭成员",
                income.number,
            )
            return False
        net = a["wage_income"] + a["business_income"] + a["property_income"] + a["transfer_income"]
        income.net_income = net - a["production_costs"]
        income.net_income_per_capita = (income.net_income / income.household_size).quantize(CENT)
        ok = True
        if (
            income.given_net_income is not None
            and abs(income.given_net_income - income.net_income) > TOLERANCE
        ):
            self.error(
                income.row,
                "net_income",
                f"纯收入填写为{income.given_net_income}元，按各项收入计算应为{income.net_income}元"
                "（工资性+生产经营性+财产性+转移性−生产经营性支出），相差超过1元：请核对各项收入或纯收入",
                income.number,
            )
            ok = False
        given = income.given_per_capita
        if given is not None and abs(given - income.net_income_per_capita) > TOLERANCE:
            self.error(
                income.row,
                "per_capita",
                f"人均纯收入填写为{given}元，按各项收入和家庭人口数（{income.household_size}人）计算应为"
                f"{income.net_income_per_capita}元，相差超过1元：请核对各项收入或人均纯收入",
                income.number,
            )
            ok = False
        return ok


def _same(stored: dict, income: PlannedIncome) -> bool:
    values = income.values()
    return all(stored["values"][k] == values[k] for k in values) and stored["transfer_items"] == (
        income.transfer_items
    )


def stored_incomes(household_ids: list[int]) -> dict[tuple[int, int], dict]:
    """(household id, year) → {"id", "values" (income_values form), "transfer_items"}."""
    result = {}
    for chunk in chunks(household_ids):
        for income in IncomeYear.objects.filter(household_id__in=chunk):
            result[(income.household_id, income.year)] = {
                "id": income.pk,
                "values": income_values(income),
                "transfer_items": income.transfer_items,
            }
    return result


def sizes_for_years(
    pairs: set[tuple[int, int]], today: datetime.date | None = None
) -> dict[tuple[int, int], int]:
    """Household size per (household id, year), as `history.size_for_year` counts it, in bulk.

    A year before the household's first membership takes the size on its first registration day.
    """
    today = today or timezone.localdate()
    spans: dict[int, list[tuple[datetime.date, datetime.date | None]]] = {}
    for chunk in chunks(sorted({h for h, _ in pairs})):
        for m in Membership.objects.filter(household_id__in=chunk).values(
            "household_id", "start_date", "end_date"
        ):
            spans.setdefault(m["household_id"], []).append((m["start_date"], m["end_date"]))

    def members_on(household_id: int, day: datetime.date) -> int:
        return sum(
            1 for start, end in spans.get(household_id, ()) if start <= day and (end is None or end > day)
        )

    sizes = {}
    for household_id, year in pairs:
        size = members_on(household_id, min(datetime.date(year, 12, 31), today))
        if size == 0 and spans.get(household_id):
            first = min(start for start, _ in spans[household_id])
            if first > datetime.date(year, 12, 31):
                size = members_on(household_id, first)
        sizes[(household_id, year)] = size
    return sizes
