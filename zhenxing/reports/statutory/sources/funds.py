"""资金拨付进度表 and 项目资产台账: bridging-fund payments and project assets as of the date.

- Progress covers the as-of date's year: each library project's plan item per fund source (the annual
  plan as it stands: plan items carry no date), what was paid from it up to the as-of date and up to each
  schedule checkpoint already passed, the share paid and the share the schedule asks for by then
  (`funds.checks`, the year's policy). Projects are placed by their 实施地点.
- Assets are those handed over by the as-of date; an asset is 已处置 from its disposal date, 处置待审批
  while its last disposal request up to the date was still undecided; revenue sums the years up to the
  as-of year.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from zhenxing.areas.models import Area, Level
from zhenxing.funds.checks import checkpoints, meets, percent, required_percent
from zhenxing.funds.models import (
    ZERO,
    Asset,
    AssetKind,
    AssetRevenue,
    AssetStatus,
    Category,
    Disbursement,
    FundSource,
    OwnerLevel,
    PlanItem,
    ProjectEvent,
)
from zhenxing.reports.statutory.common import CHUNK_SIZE, within
from zhenxing.reports.statutory.table import (
    COUNT_YES,
    MONEY,
    PERCENT,
    SUM,
    Column,
    Report,
    Table,
    day_text,
    register,
    yes_no,
)

SOURCE_LABELS = dict(FundSource.choices)
CATEGORY_LABELS = dict(Category.choices)
PLANNED, PAID = "计划安排（元）", "截至日已拨付（元）"
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT)


# --- 资金拨付进度表 ------------------------------------------------------------------------------------


def _checkpoint_header(checkpoint) -> str:
    return f"{checkpoint.date.month}月{checkpoint.date.day}日前拨付（元）"


def disbursements_columns(as_of: datetime.date) -> list[Column]:
    required = required_percent(as_of.year, as_of)
    return [
        Column("乡镇（街道）", 12),
        Column("实施地点", 12),
        Column("项目编码", 14),
        Column("项目名称", 24, wrap=True),
        Column("项目类别", 10),
        Column("资金来源", 12),
        Column(PLANNED, 14, MONEY, SUM),
        Column(PAID, 14, MONEY, SUM),
        *(Column(_checkpoint_header(c), 14, MONEY, SUM) for c in checkpoints(as_of.year)),
        Column("拨付进度（%）", 10, PERCENT, lambda sums: percent(sums[PAID], sums[PLANNED])),
        Column("时序要求（%）", 10, PERCENT, lambda sums: required),
        Column(
            "是否达到时序进度",
            10,
            total=lambda sums: yes_no(not sums[PLANNED] or meets(sums[PAID], sums[PLANNED], required)),
        ),
    ]


def disbursements_table(area: Area, as_of: datetime.date, full_ids: bool) -> Table:
    """One row per project and fund source of the as-of year's plan (two grouped queries)."""
    year = as_of.year
    cps = checkpoints(year)
    required = required_percent(year, as_of)
    items = within(PlanItem.objects.filter(year=year), area, "project__area")
    key = ("project_id", "source")
    by_checkpoint = {
        f"by_{i}": Sum("amount", filter=Q(paid_on__lte=cp.date))
        for i, cp in enumerate(cps)
        if cp.date <= as_of
    }
    paid = {
        (row["project_id"], row["source"]): row
        for row in within(Disbursement.objects.filter(year=year, paid_on__lte=as_of), area, "project__area")
        .values(*key)
        .annotate(paid=Sum("amount"), **by_checkpoint)
        .order_by()
    }
    fields = (
        *key,
        "project__township__name",
        "project__area__name",
        "project__code",
        "project__name",
        "project__category",
        "amount",
    )
    ordered = items.order_by("project__township__code", "project__code", "source")

    def rows():
        for item in ordered.values(*fields).iterator(chunk_size=CHUNK_SIZE):
            pay = paid.get((item["project_id"], item["source"]), {})
            planned, so_far = _money(item["amount"]), _money(pay.get("paid"))
            yield [
                item["project__township__name"],
                item["project__area__name"],
                item["project__code"],
                item["project__name"],
                CATEGORY_LABELS.get(item["project__category"], ""),
                SOURCE_LABELS.get(item["source"], item["source"]),
                planned,
                so_far,
                *(_money(pay.get(f"by_{i}")) if cp.date <= as_of else None for i, cp in enumerate(cps)),
                percent(so_far, planned),
                required,
                yes_no(not planned or meets(so_far, planned, required)),
            ]

    return Table(items.count(), rows())


register(
    Report(
        name="disbursements",
        title="资金拨付进度表",
        unit="项",
        description="所选日期所在年度的年度实施计划，每个项目每个资金来源一行：计划安排、截至当日和各时序节点的拨付金额、拨付进度与时序要求。",
        columns=disbursements_columns,
        table=disbursements_table,
    )
)


# --- 项目资产台账 --------------------------------------------------------------------------------------

KIND_LABELS = dict(AssetKind.choices)
OWNER_LABELS = dict(OwnerLevel.choices)
ASSET_STATUS_LABELS = dict(AssetStatus.choices)
DISPOSAL_EVENTS = ("asset_disposal_request", "asset_disposal_approve", "asset_disposal_reject")


def assets_columns(as_of: datetime.date) -> list[Column]:
    return [
        Column("乡镇（街道）", 12),
        Column("权属地", 12),
        Column("资产编号", 16),
        Column("资产名称", 20, wrap=True),
        Column("资产类型", 9),
        Column("确权层级", 8),
        Column("项目编码", 14),
        Column("项目名称", 20, wrap=True),
        Column("受益户编号", 16),
        Column("资产价值（元）", 14, MONEY, SUM),
        Column("管护主体", 14, wrap=True),
        Column("管护责任", 20, wrap=True),
        Column("移交日期", 12),
        Column("状态", 10),
        Column("处置日期", 12),
        Column("累计收益（元）", 14, MONEY, SUM),
        Column("是否已处置", 8, total=COUNT_YES),
    ]


def _requests_pending(as_of: datetime.date) -> set[str]:
    """Codes of assets whose last disposal event up to `as_of` is an undecided request (one query)."""
    end = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time()))
    events = (
        ProjectEvent.objects.filter(kind__in=DISPOSAL_EVENTS, at__lt=end)
        .order_by("at", "id")
        .values_list("subject", "kind")
    )
    last = dict(events.iterator(chunk_size=CHUNK_SIZE))
    return {subject.removeprefix("asset:") for subject, kind in last.items() if kind == DISPOSAL_EVENTS[0]}


def assets_table(area: Area, as_of: datetime.date, full_ids: bool) -> Table:
    assets = within(Asset.objects.filter(handed_over_on__lte=as_of), area)
    revenue = dict(
        AssetRevenue.objects.filter(year__lte=as_of.year, asset__in=assets.order_by().values("pk"))
        .values("asset_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("asset_id", "total")
    )
    pending = _requests_pending(as_of)
    fields = (
        "pk",
        "code",
        "name",
        "kind",
        "owner_level",
        "area__name",
        "area__parent__name",
        "area__level",
        "project__code",
        "project__name",
        "owner_household__number",
        "value",
        "custodian",
        "duties",
        "handed_over_on",
        "disposed_on",
    )

    def rows():
        for a in assets.order_by("area__code", "code").values(*fields).iterator(chunk_size=CHUNK_SIZE):
            disposed = a["disposed_on"] if a["disposed_on"] and a["disposed_on"] <= as_of else None
            if disposed:
                status = AssetStatus.DISPOSED
            elif a["code"] in pending:
                status = AssetStatus.DISPOSAL_REQUESTED
            else:
                status = AssetStatus.ACTIVE
            township = (
                a["area__name"] if a["area__level"] == Level.TOWNSHIP else a["area__parent__name"] or ""
            )
            yield [
                township,
                a["area__name"],
                a["code"],
                a["name"],
                KIND_LABELS.get(a["kind"], a["kind"]),
                OWNER_LABELS.get(a["owner_level"], a["owner_level"]),
                a["project__code"] or "",
                a["project__name"] or "",
                a["owner_household__number"] or "",
                _money(a["value"]),
                a["custodian"],
                a["duties"],
                day_text(a["handed_over_on"]),
                ASSET_STATUS_LABELS[status],
                day_text(disposed),
                _money(revenue.get(a["pk"])),
                yes_no(disposed is not None),
            ]

    return Table(assets.count(), rows())


register(
    Report(
        name="assets",
        title="项目资产台账",
        unit="个",
        description="截至所选日期已移交的衔接资金项目资产，每个资产一行：类型、确权层级、价值、管护主体、当日状态、累计收益。",
        columns=assets_columns,
        table=assets_table,
    )
)
