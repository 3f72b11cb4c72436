"""Compare the 直达系统 export (项目编码, 项目名称, 资金来源, 支付日期, 支付金额) with our disbursements.

`validate_reconciliation` reads and checks the whole file, then pairs rows per (project, source):
exact (date, amount) matches first, then same amount on another date (日期不一致), then same date with
another amount (金额不一致), then the rest in date order (金额不一致); what is left on either side is
missing on the other. Nothing is written here; `actions.commit_reconciliation` stores the result.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from zhenxing.funds.models import DifferenceKind, Disbursement, FundSource, Project
from zhenxing.lib.tabular import Column, TableError, parse_amount, parse_date, read_table

COLUMNS = [
    Column("code", "项目编码", required=True),
    Column("name", "项目名称"),
    Column("source", "资金来源", required=True),
    Column("paid_on", "支付日期", required=True),
    Column("amount", "支付金额", aliases=("支付金额（元）",), required=True),
]
HEADERS = [c.header for c in COLUMNS]
SOURCE_BY_LABEL = {s.label: s.value for s in FundSource} | {
    "中央": "central",
    "省级": "provincial",
    "市级": "city",
    "区级": "district",
    "县级": "district",
    "其他": "other",
    "中央财政衔接推进乡村振兴补助资金": "central",
}


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ReconciliationPlan:
    year: int
    filename: str
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    differences: list[dict] = field(default_factory=list)
    matched: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _match(theirs: list[dict], ours: list[Disbursement], out: list[dict], code: str, name: str, source: str):
    theirs, ours = list(theirs), list(ours)
    matched = 0

    def take(predicate, kind):
        nonlocal matched
        for t in list(theirs):
            o = next((o for o in ours if predicate(t, o)), None)
            if o is None:
                continue
            theirs.remove(t)
            ours.remove(o)
            if kind is None:
                matched += 1
            else:
                out.append(_diff(kind, code, name, source, t, o))

    take(lambda t, o: t["paid_on"] == o.paid_on and t["amount"] == o.amount, None)
    take(lambda t, o: t["amount"] == o.amount, DifferenceKind.DATE)
    take(lambda t, o: t["paid_on"] == o.paid_on, DifferenceKind.AMOUNT)
    for t, o in zip(
        sorted(theirs, key=lambda t: t["paid_on"]), sorted(ours, key=lambda o: o.paid_on), strict=False
    ):
        out.append(_diff(DifferenceKind.AMOUNT, code, name, source, t, o))
    n = min(len(theirs), len(ours))
    for t in sorted(theirs, key=lambda t: t["paid_on"])[n:]:
        out.append(_diff(DifferenceKind.MISSING_HERE, code, name, source, t, None))
    for o in sorted(ours, key=lambda o: o.paid_on)[n:]:
        out.append(_diff(DifferenceKind.MISSING_THERE, code, name, source, None, o))
    return matched


def _diff(kind, code, name, source, t, o) -> dict:
    return {
        "kind": kind,
        "project_code": code,
        "project_name": name[:100],
        "source": source,
        "row": t["row"] if t else None,
        "their_date": t["paid_on"] if t else None,
        "their_amount": t["amount"] if t else None,
        "disbursement": o,
        "our_date": o.paid_on if o else None,
        "our_amount": o.amount if o else None,
    }


# Progress is reported every this many (project, source) pairs compared.
PROGRESS_EVERY = 500


def validate_reconciliation(
    data: bytes, filename: str, year: int, progress: Callable[[int, int], None] | None = None
) -> ReconciliationPlan:
    """Read and check the whole file; when it is clean, pair its rows with the year's disbursements.

    `progress(done, total)` is called while comparing, in (project, source) pairs.
    """
    plan = ReconciliationPlan(year=year, filename=filename)
    try:
        table = read_table(data, filename, columns=COLUMNS)
    except TableError as e:
        plan.errors.append(RowError(0, "", str(e)))
        return plan
    rows = []
    for row in table.rows:
        v = row.values
        source = SOURCE_BY_LABEL.get(v["source"].strip())
        if source is None:
            plan.errors.append(
                RowError(
                    row.number,
                    "资金来源",
                    f"无法识别的资金来源“{v['source']}”，应为{'、'.join(s.label for s in FundSource)}",
                )
            )
        try:
            paid_on = parse_date(v["paid_on"])
            if paid_on.year != year:
                plan.errors.append(
                    RowError(
                        row.number,
                        "支付日期",
                        f"支付日期 {paid_on} 不在{year}年内，请只导出{year}年的支付记录",
                    )
                )
        except ValueError as e:
            plan.errors.append(RowError(row.number, "支付日期", str(e)))
            paid_on = None
        try:
            amount = parse_amount(v["amount"])
        except ValueError as e:
            plan.errors.append(RowError(row.number, "支付金额", str(e)))
            amount = None
        if not v["code"].strip():
            plan.errors.append(RowError(row.number, "项目编码", "项目编码不能为空"))
        rows.append(
            {
                "row": row.number,
                "code": v["code"].strip(),
                "name": v["name"].strip(),
                "source": source,
                "paid_on": paid_on,
                "amount": amount,
            }
        )
    if not table.rows:
        plan.errors.append(RowError(0, "", "文件中没有数据行"))
    if plan.errors:
        return plan
    plan.row_count = len(rows)
    ours: dict[tuple, list] = {}
    # Only what the comparison reads: whole Project rows for 50,000 payments cost seconds to build.
    payments = Disbursement.objects.filter(paid_on__year=year).select_related("project")
    for d in payments.only("paid_on", "amount", "source", "project__code"):
        ours.setdefault((d.project.code, d.source), []).append(d)
    theirs: dict[tuple, list] = {}
    for r in rows:
        theirs.setdefault((r["code"], r["source"]), []).append(r)
    names = dict(Project.objects.filter(code__in={k[0] for k in theirs | ours}).values_list("code", "name"))
    keys = sorted(set(theirs) | set(ours))
    for done, key in enumerate(keys, start=1):
        code, source = key
        name = names.get(code) or next((r["name"] for r in theirs.get(key, [])), "")
        plan.matched += _match(theirs.get(key, []), ours.get(key, []), plan.differences, code, name, source)
        if progress and (done % PROGRESS_EVERY == 0 or done == len(keys)):
            progress(done, len(keys))
    return plan


def total(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal("0.00"))
