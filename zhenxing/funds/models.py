"""Bridging funds (衔接资金) and their projects: library, allocations, plan, disbursements, assets, PV.

- `Project` carries two state machines: the library workflow (`status`: 村申报 → 乡审核 → 县审定 →
  入库, with 退回/未通过) and implementation (`progress`: 未开工 → 在建 → 完工 → 验收, or 终止).
- Planned investment is one money column per fund source (`SOURCE_FIELDS`), as the 公告 shows it.
- `ProjectEvent` is the append-only history of every write in this app (project or not).
- Money is `Decimal` yuan with two places everywhere.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from zhenxing.areas.models import Area

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class FundSource(models.TextChoices):
    CENTRAL = "central", "中央衔接资金"
    PROVINCIAL = "provincial", "省级衔接资金"
    CITY = "city", "市级衔接资金"
    DISTRICT = "district", "区级衔接资金"
    OTHER = "other", "其他资金"


SOURCE_FIELDS = {
    FundSource.CENTRAL: "planned_central",
    FundSource.PROVINCIAL: "planned_provincial",
    FundSource.CITY: "planned_city",
    FundSource.DISTRICT: "planned_district",
    FundSource.OTHER: "planned_other",
}


class Category(models.TextChoices):
    INDUSTRY = "industry", "产业发展"
    EMPLOYMENT = "employment", "就业帮扶"
    CONSTRUCTION = "construction", "乡村建设"
    INFRASTRUCTURE = "infrastructure", "基础设施"
    PUBLIC_SERVICE = "public_service", "公共服务"
    MANAGEMENT = "management", "项目管理费"
    OTHER = "other", "其他"


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", "村申报（待乡镇审核）"  # proposed by the village, waiting for the township
    TOWNSHIP_REVIEWED = "township_reviewed", "乡镇审核通过（待区级审定）"
    COUNTY_APPROVED = "county_approved", "区级审定通过（公告中）"  # 公告 runs; 入库 when it has ended
    IN_LIBRARY = "in_library", "已入库"  # the only state that may be planned or paid
    RETURNED = "returned", "已退回修改"  # back to the proposer with a reason; may be resubmitted
    REJECTED = "rejected", "未通过"  # final


class Progress(models.TextChoices):
    NOT_STARTED = "not_started", "未开工"
    IN_PROGRESS = "in_progress", "在建"
    COMPLETED = "completed", "完工"
    ACCEPTED = "accepted", "验收"  # assets handed over in the same action
    TERMINATED = "terminated", "终止"  # with a reason; final


class Project(models.Model):
    code = models.CharField("项目编码", max_length=40, unique=True)
    year = models.PositiveSmallIntegerField("项目年度")
    name = models.CharField("项目名称", max_length=100)
    category = models.CharField("项目类别", max_length=20, choices=Category.choices)
    sub_type = models.CharField("项目子类型", max_length=40, blank=True)
    is_leading_industry = models.BooleanField("主导产业", default=False)
    content = models.TextField("建设内容")
    area = models.ForeignKey(Area, verbose_name="实施地点", on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Area, verbose_name="乡镇", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField("实施开始")
    period_end = models.DateField("实施结束")
    planned_central = models.DecimalField("中央衔接资金", **MONEY, default=ZERO)
    planned_provincial = models.DecimalField("省级衔接资金", **MONEY, default=ZERO)
    planned_city = models.DecimalField("市级衔接资金", **MONEY, default=ZERO)
    planned_district = models.DecimalField("区级衔接资金", **MONEY, default=ZERO)
    planned_other = models.DecimalField("其他资金", **MONEY, default=ZERO)
    performance_targets = models.TextField("绩效目标", blank=True)
    linkage_mechanism = models.TextField("联农带农机制", blank=True)
    beneficiaries = models.ManyToManyField(
        "registry.Household", through="ProjectBeneficiary", related_name="funded_projects", blank=True
    )
    responsible_unit = models.CharField("责任单位", max_length=60)
    responsible_person = models.CharField("责任人", max_length=20)

    status = models.CharField("入库状态", max_length=20, choices=ProjectStatus.choices)
    status_reason = models.CharField("退回/不通过原因", max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申报人", on_delete=models.PROTECT, related_name="+"
    )
    township_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    county_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice_start = models.DateField("公告开始", null=True, blank=True)
    notice_end = models.DateField("公告结束", null=True, blank=True)
    entered_library_on = models.DateField("入库日期", null=True, blank=True)
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    progress = models.CharField(
        "实施状态", max_length=20, choices=Progress.choices, default=Progress.NOT_STARTED
    )
    started_on = models.DateField("开工日期", null=True, blank=True)
    completed_on = models.DateField("完工日期", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    terminated_on = models.DateField("终止日期", null=True, blank=True)
    progress_note = models.CharField("实施说明/佐证材料", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "项目"
        ordering = ["-year", "code"]
        indexes = [
            # The library list: a year's projects in a scope, filtered by status.
            models.Index(fields=["year", "status"], name="project_year_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def planned(self, source: str) -> Decimal:
        return getattr(self, SOURCE_FIELDS[FundSource(source)])

    @property
    def planned_total(self) -> Decimal:
        return sum((self.planned(s) for s in FundSource), ZERO)

    @property
    def is_in_library(self) -> bool:
        return self.status == ProjectStatus.IN_LIBRARY


class ProjectBeneficiary(models.Model):
    """联农带农: a household the project benefits (counts of 脱贫户 and 监测户 come from the registry)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="beneficiary_links")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "household"], name="beneficiary_once")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.household_id}"


class Allocation(models.Model):
    """资金下达: one allocation document for a year and source."""

    year = models.PositiveSmallIntegerField("年度")
    source = models.CharField("资金来源", max_length=20, choices=FundSource.choices)
    amount = models.DecimalField("下达金额（元）", **MONEY)
    document_number = models.CharField("文号", max_length=60)
    document_date = models.DateField("下达日期")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "source", "document_date"]
        constraints = [
            models.UniqueConstraint(fields=["year", "document_number", "source"], name="allocation_doc")
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_source_display()} {self.document_number}"


class PlanItem(models.Model):
    """年度实施计划: a library project's assigned amount from one source in one year."""

    year = models.PositiveSmallIntegerField("计划年度")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="plan_items")
    source = models.CharField("资金来源", max_length=20, choices=FundSource.choices)
    amount = models.DecimalField("安排金额（元）", **MONEY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["project__code", "source"]
        constraints = [models.UniqueConstraint(fields=["year", "project", "source"], name="plan_item_once")]

    def __str__(self) -> str:
        return f"{self.year} {self.project_id} {self.source} {self.amount}"


class Disbursement(models.Model):
    """拨付: one payment to a project from one source, against its plan item."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="disbursements")
    year = models.PositiveSmallIntegerField("计划年度")
    source = models.CharField("资金来源", max_length=20, choices=FundSource.choices)
    paid_on = models.DateField("拨付日期")
    amount = models.DecimalField("拨付金额（元）", **MONEY)
    voucher_number = models.CharField("凭证号", max_length=40)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        indexes = [
            # Progress tables sum a year's payments by source up to a checkpoint date.
            models.Index(fields=["year", "source", "paid_on"], name="disbursement_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.source} {self.amount}"


class AssetKind(models.TextChoices):
    OPERATING = "operating", "经营性"
    PUBLIC = "public", "公益性"
    HOUSEHOLD = "household", "到户类"


class OwnerLevel(models.TextChoices):
    DISTRICT = "district", "区"
    TOWNSHIP = "township", "乡镇"
    VILLAGE = "village", "村"
    HOUSEHOLD = "household", "户"


class AssetStatus(models.TextChoices):
    ACTIVE = "active", "在用"
    DISPOSAL_REQUESTED = "disposal_requested", "处置待审批"
    DISPOSED = "disposed", "已处置"


class Asset(models.Model):
    code = models.CharField("资产编号", max_length=40, unique=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    name = models.CharField("资产名称", max_length=100)
    kind = models.CharField("资产类型", max_length=20, choices=AssetKind.choices)
    owner_level = models.CharField("确权层级", max_length=20, choices=OwnerLevel.choices)
    area = models.ForeignKey(Area, verbose_name="权属地", on_delete=models.PROTECT, related_name="+")
    owner_household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField("资产价值（元）", **MONEY)
    custodian = models.CharField("管护主体", max_length=60)
    duties = models.CharField("管护责任", max_length=200)
    handed_over_on = models.DateField("移交日期")
    status = models.CharField("状态", max_length=20, choices=AssetStatus.choices, default=AssetStatus.ACTIVE)
    disposal_reason = models.CharField("处置原因", max_length=200, blank=True)
    disposal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disposal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disposed_on = models.DateField("处置日期", null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AssetRevenue(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="revenues")
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("年收益（元）", **MONEY)

    class Meta:
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["asset", "year"], name="asset_revenue_year")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.year} {self.amount}"


class PvStation(models.Model):
    code = models.CharField("电站编号", max_length=40, unique=True)
    name = models.CharField("电站名称", max_length=100)
    area = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    capacity_kw = models.DecimalField("装机容量（kW）", max_digits=10, decimal_places=2)
    grid_date = models.DateField("并网日期")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PvMonth(models.Model):
    station = models.ForeignKey(PvStation, on_delete=models.CASCADE, related_name="months")
    month = models.DateField("月份")  # the first day of the month
    output_kwh = models.DecimalField("发电量（kWh）", max_digits=12, decimal_places=2)
    revenue = models.DecimalField("售电收益（元）", **MONEY)

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["station", "month"], name="pv_month_once")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.month:%Y-%m}"


class DistributionPurpose(models.TextChoices):
    PUBLIC_JOBS = "public_jobs", "公益岗位"
    PUBLIC_WORKS = "public_works", "小型公益事业"
    REWARDS = "rewards", "奖励补助"


class PvDistribution(models.Model):
    station = models.ForeignKey(PvStation, on_delete=models.PROTECT, related_name="distributions")
    paid_on = models.DateField("分配日期")
    purpose = models.CharField("用途", max_length=20, choices=DistributionPurpose.choices)
    amount = models.DecimalField("金额（元）", **MONEY)
    description = models.CharField("说明", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.purpose} {self.amount}"


class ReconciliationBatch(models.Model):
    """One import of the 直达系统 export, compared with the disbursements of a year.

    `area` is the county: the comparison covers every disbursement of the district, so only users whose
    scope is the whole district see it (through `accounts.scope`, like every other record).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    area = models.ForeignKey(Area, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    filename = models.CharField("文件名", max_length=200)
    row_count = models.PositiveIntegerField("行数")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.year}年对账 {self.filename}"


class DifferenceKind(models.TextChoices):
    MISSING_HERE = "missing_here", "直达系统有、本系统无"
    MISSING_THERE = "missing_there", "本系统有、直达系统无"
    AMOUNT = "amount", "金额不一致"
    DATE = "date", "日期不一致"


class Difference(models.Model):
    batch = models.ForeignKey(ReconciliationBatch, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField("差异类型", max_length=20, choices=DifferenceKind.choices)
    project_code = models.CharField("项目编码", max_length=40)
    project_name = models.CharField("项目名称", max_length=100, blank=True)
    source = models.CharField("资金来源", max_length=20, choices=FundSource.choices)
    row = models.PositiveIntegerField("直达系统文件行号", null=True, blank=True)
    their_date = models.DateField("直达系统支付日期", null=True, blank=True)
    their_amount = models.DecimalField("直达系统支付金额", **MONEY, null=True, blank=True)
    disbursement = models.ForeignKey(
        Disbursement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    our_date = models.DateField("本系统拨付日期", null=True, blank=True)
    our_amount = models.DecimalField("本系统拨付金额", **MONEY, null=True, blank=True)
    is_resolved = models.BooleanField("已处理", default=False)
    note = models.CharField("处理说明", max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["is_resolved", "project_code", "id"]

    def __str__(self) -> str:
        return f"{self.project_code} {self.get_kind_display()}"


EVENT_LABELS = {
    "propose": "村申报",
    "edit": "修改项目",
    "resubmit": "重新申报",
    "township_review": "乡镇审核通过",
    "county_approve": "区级审定通过，开始公告",
    "enter_library": "入库",
    "return": "退回修改",
    "reject": "不通过",
    "plan_item": "列入年度计划",
    "remove_plan_item": "移出年度计划",
    "disburse": "拨付",
    "start": "开工",
    "complete": "完工",
    "accept": "验收并登记资产",
    "terminate": "终止",
    "asset_revenue": "登记资产收益",
    "asset_disposal_request": "申请资产处置",
    "asset_disposal_approve": "批准资产处置",
    "asset_disposal_reject": "驳回资产处置申请",
}


class ProjectEvent(models.Model):
    """Append-only history of every write in the funds app; `project` is empty for fund-level writes."""

    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField("事件", max_length=40)
    subject = models.CharField("对象", max_length=60, blank=True)  # "allocation:3", "pv:PV-001", …
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField("原因/说明", max_length=200, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("ProjectEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ProjectEvent is append-only")

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind)
