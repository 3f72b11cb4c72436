"""The annual plan's four checks and disbursement progress against the schedule checkpoints.

Every threshold comes from the year's policy (`policy_for(year)`); ratios are compared exactly
(never a rounded figure), so 59.99% fails and 60.00% passes a 60% minimum.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q, Sum

from zhenxing.funds.models import (
    SOURCE_FIELDS,
    ZERO,
    Allocation,
    Category,
    Disbursement,
    FundSource,
    PlanItem,
    Project,
    ProjectStatus,
)
from zhenxing.policy.parameters import CHECKPOINTS
from zhenxing.policy.resolve import policy_for


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part/whole in percent, rounded *down* to 0.01 for display (None when whole is 0)."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def meets(part: Decimal, whole: Decimal, minimum_percent: Decimal) -> bool:
    """part/whole ≥ minimum%, compared exactly: part·100 ≥ minimum·whole."""
    return whole > 0 and part * 100 >= minimum_percent * whole


@dataclass
class Check:
    title: str
    passed: bool
    figures: str  # the numbers behind the verdict, in Chinese


def _cents(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def _sum(qs, field="amount") -> Decimal:
    return (qs.aggregate(s=Sum(field))["s"] or ZERO).quantize(Decimal("0.01"))


def plan_figures(year: int) -> dict:
    items = PlanItem.objects.filter(year=year)
    by_source = []
    for source in FundSource:
        alloc = _sum(Allocation.objects.filter(year=year, source=source))
        assigned = _sum(items.filter(source=source))
        by_source.append(
            {
                "source": source,
                "allocated": alloc,
                "assigned": assigned,
                "ok": assigned <= alloc,
                "unassigned": alloc - assigned,
            }
        )
    library = Project.objects.filter(year=year, status=ProjectStatus.IN_LIBRARY)
    planned = library.aggregate(**{f: Sum(f) for f in SOURCE_FIELDS.values()})
    reserve = sum((_cents(v) for v in planned.values()), ZERO)
    central = _sum(items.filter(source=FundSource.CENTRAL))
    central_industry = _sum(items.filter(source=FundSource.CENTRAL, project__category=Category.INDUSTRY))
    industry = _sum(items.filter(project__category=Category.INDUSTRY))
    leading = _sum(items.filter(project__category=Category.INDUSTRY, project__is_leading_industry=True))
    return {
        "by_source": by_source,
        "allocated": sum((r["allocated"] for r in by_source), ZERO),
        "assigned": sum((r["assigned"] for r in by_source), ZERO),
        "reserve": reserve,
        "central": central,
        "central_industry": central_industry,
        "industry": industry,
        "leading": leading,
    }


def plan_checks(year: int) -> tuple[list[Check], dict]:
    policy = policy_for(year)
    f = plan_figures(year)
    ratio, industry_min, leading_min = (
        policy["project_reserve_ratio"],
        policy["industry_share_min"],
        policy["leading_industry_share_min"],
    )

    def pct(a, b):
        p = percent(a, b)
        return "—" if p is None else f"{p}%"

    over = [r for r in f["by_source"] if not r["ok"]]
    checks = [
        Check(
            f"项目库储备 ≥ 当年下达资金的{ratio}%",
            meets(f["reserve"], f["allocated"], ratio),
            f"入库项目计划投资 {f['reserve']} 元，下达资金 {f['allocated']} 元，储备比例 {pct(f['reserve'], f['allocated'])}",
        ),
        Check(
            f"产业发展资金占中央衔接资金 ≥ {industry_min}%（规则33）",
            meets(f["central_industry"], f["central"], industry_min),
            f"中央衔接资金安排 {f['central']} 元，其中产业发展 {f['central_industry']} 元，占 {pct(f['central_industry'], f['central'])}",
        ),
        Check(
            f"主导产业资金占产业发展资金 ≥ {leading_min}%",
            meets(f["leading"], f["industry"], leading_min),
            f"产业发展资金安排 {f['industry']} 元，其中主导产业 {f['leading']} 元，占 {pct(f['leading'], f['industry'])}",
        ),
        Check(
            "各来源安排金额不超过下达金额",
            not over,
            "；".join(
                f"{r['source'].label}安排 {r['assigned']} 元 / 下达 {r['allocated']} 元"
                for r in f["by_source"]
            ),
        ),
    ]
    return checks, f


@dataclass(frozen=True)
class Checkpoint:
    date: datetime.date
    percent: Decimal

    @property
    def label(self) -> str:
        return f"{self.date.month}月{self.date.day}日 {self.percent}%"


def checkpoints(year: int) -> list[Checkpoint]:
    policy = policy_for(year)
    return [Checkpoint(policy[d].in_year(year), policy[p]) for p, d in CHECKPOINTS]


def due_checkpoint(year: int, today: datetime.date) -> Checkpoint | None:
    """The checkpoint whose reminder window has opened most recently (N days before it), if any."""
    days = policy_for(year)["disbursement_reminder_days"]
    opened = [c for c in checkpoints(year) if today >= c.date - datetime.timedelta(days=days)]
    return opened[-1] if opened else None


def required_percent(year: int, day: datetime.date) -> Decimal:
    """What the schedule asks for by `day`: the percent of the last checkpoint on or before it."""
    passed = [c.percent for c in checkpoints(year) if c.date <= day]
    return passed[-1] if passed else Decimal(0)


@dataclass
class ProgressRow:
    key: str
    label: str
    planned: Decimal
    paid: Decimal
    at_checkpoints: list  # [(Checkpoint, paid by then, percent, met)]

    @property
    def percent(self) -> Decimal | None:
        return percent(self.paid, self.planned)


# What each grouping of the progress table sums over: the key, and where its label comes from.
GROUP_FIELDS = {
    "source": ("source", None),
    "township": ("project__township__code", "project__township__name"),
    "project": ("project__code", "project__name"),
}


def progress_rows(year: int, projects, group: str, as_of: datetime.date) -> list[ProgressRow]:
    """Progress per `group` ("source", "township" or "project") over the given projects' plan items.

    Summed in the database: one grouped query for the plan and one for the payments (up to `as_of`, and up
    to each checkpoint), so a district's 50,000 payments are never loaded row by row.
    """
    cps = checkpoints(year)
    key, label_field = GROUP_FIELDS[group]
    planned = (
        PlanItem.objects.filter(year=year, project__in=projects)
        .values(key, *([label_field] if label_field else []))
        .annotate(planned=Sum("amount"))
        .order_by()
    )
    by_checkpoint = {f"by_{i}": Sum("amount", filter=Q(paid_on__lte=cp.date)) for i, cp in enumerate(cps)}
    paid = {
        row[key]: row
        for row in Disbursement.objects.filter(year=year, project__in=projects, paid_on__lte=as_of)
        .values(key)
        .annotate(paid=Sum("amount"), **by_checkpoint)
        .order_by()
    }
    rows = []
    for item in planned:
        k = item[key]
        pay = paid.get(k, {})
        label = FundSource(k).label if label_field is None else item[label_field]
        row = ProgressRow(k, label, _cents(item["planned"]), _cents(pay.get("paid")), [])
        for i, cp in enumerate(cps):
            by = _cents(pay.get(f"by_{i}"))
            met = meets(by, row.planned, cp.percent) if row.planned else True
            row.at_checkpoints.append((cp, by, percent(by, row.planned), met if cp.date <= as_of else None))
        rows.append(row)
    return sorted(rows, key=lambda r: r.key)


def behind_projects(year: int, projects, today: datetime.date):
    """(checkpoint, [(project, percent)]) for planned projects below the due checkpoint's percent."""
    cp = due_checkpoint(year, today)
    if cp is None:
        return None, []
    rows = progress_rows(year, projects, "project", today)
    behind = [r for r in rows if r.planned and not meets(r.paid, r.planned, cp.percent)]
    return cp, behind


def in_plan(year: int):
    return Q(plan_items__year=year)
