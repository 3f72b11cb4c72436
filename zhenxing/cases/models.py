"""Monitoring cases (防返贫动态监测): leads, the identification and elimination procedures, measures,
visits, discrepancies, and the case's append-only history.

- A `Lead` (风险线索) is anything that may start a case. It is closed as "not a risk", opens a case, or is
  attached to the household's open case.
- A `Case` follows one household from identification (识别认定) through monitoring to risk elimination
  (风险消除) and, when needed, rollback (回退). `procedure` says which procedure the case is in and `stage`
  which step is due next; the steps and their order are `IDENTIFICATION_STEPS` / `ELIMINATION_STEPS`.
  A household has at most one open case (database constraint).
- Each step done is a `StepRecord` (who, when, what, attachments); the village notice of a procedure is a
  `PublicNotice` (database constraint: one per case and procedure).
- `CaseEvent` is the append-only history shown on the case timeline and counted by the boards.
- All writes go through `cases.actions`.
"""

import uuid

from django.conf import settings
from django.db import models

from zhenxing.areas.models import Area
from zhenxing.attachments.models import Attachment
from zhenxing.policy.models import PolicyVersion
from zhenxing.registry.models import MONEY, Household, Person


class Channel(models.TextChoices):
    SELF_DECLARED = "self_declared", "农户自主申报"
    CADRE_VISIT = "cadre_visit", "基层干部排查"
    DEPARTMENT_WARNING = "department_warning", "部门筛查预警"


class RiskType(models.TextChoices):
    ILLNESS = "illness", "因病"
    EDUCATION = "education", "因学"
    DISABILITY = "disability", "因残"
    DISASTER = "disaster", "因灾"
    ACCIDENT = "accident", "因意外事故"
    BUSINESS_FAILURE = "business_failure", "因产业项目失败"
    UNSTABLE_EMPLOYMENT = "unstable_employment", "因务工就业不稳"
    LABOUR_SHORTAGE = "labour_shortage", "缺劳动力"
    HOUSING = "housing", "住房安全"
    WATER = "water", "饮水安全"
    OTHER = "other", "其他"


class MonitoringType(models.TextChoices):
    UNSTABLE_LIFTED = "unstable_lifted", "脱贫不稳定户"
    MARGINAL = "marginal", "边缘易致贫户"
    SUDDEN_HARDSHIP = "sudden_hardship", "突发严重困难户"


class LeadStatus(models.TextChoices):
    OPEN = "open", "待处理"
    NOT_RISK = "not_risk", "经核实无风险"
    CASE_OPENED = "case_opened", "已启动识别"
    ATTACHED = "attached", "已并入在办案件"


class Procedure(models.TextChoices):
    IDENTIFICATION = "identification", "识别认定"
    ELIMINATION = "elimination", "风险消除"


class Step(models.TextChoices):
    CONSENT = "consent", "承诺授权"
    HOME_CHECK = "home_check", "入户核实"
    COMPARISON = "comparison", "信息比对"
    REVIEW = "review", "民主评议"
    NOTICE = "notice", "村内公示"
    TOWNSHIP = "township", "乡镇审核"
    COUNTY = "county", "县级审定"
    ANNOUNCEMENT = "announcement", "公告"
    DONE = "done", "已完成"


IDENTIFICATION_STEPS = (
    Step.CONSENT,
    Step.HOME_CHECK,
    Step.COMPARISON,
    Step.REVIEW,
    Step.NOTICE,
    Step.TOWNSHIP,
    Step.COUNTY,
    Step.ANNOUNCEMENT,
)
ELIMINATION_STEPS = (Step.HOME_CHECK, Step.REVIEW, Step.NOTICE, Step.TOWNSHIP, Step.COUNTY, Step.ANNOUNCEMENT)
STEPS = {Procedure.IDENTIFICATION: IDENTIFICATION_STEPS, Procedure.ELIMINATION: ELIMINATION_STEPS}
VILLAGE_STEPS = frozenset({Step.CONSENT, Step.HOME_CHECK, Step.COMPARISON, Step.REVIEW, Step.NOTICE})


class CaseStatus(models.TextChoices):
    IDENTIFYING = "identifying", "识别认定中"
    MONITORED = "monitored", "监测帮扶中"
    ELIMINATING = "eliminating", "风险消除程序中"
    ELIMINATED = "eliminated", "风险已消除"
    REJECTED = "rejected", "未纳入监测"


OPEN_STATUSES = (CaseStatus.IDENTIFYING, CaseStatus.MONITORED, CaseStatus.ELIMINATING)


class Lead(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("线索编号", max_length=20, unique=True)
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="leads"
    )
    area = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField("发现渠道", max_length=20, choices=Channel.choices)
    description = models.TextField("反映情况")
    risk_types = models.JSONField("反映的风险类型", default=list, blank=True)  # RiskType values
    found_on = models.DateField("发现日期")
    found_by = models.CharField("发现人", max_length=40)
    source_ref = models.CharField("来源记录", max_length=60, blank=True)  # warning or declaration number
    status = models.CharField("状态", max_length=12, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    closed_reason = models.CharField("办结说明", max_length=300, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "Case", verbose_name="案件", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "风险线索"
        ordering = ["-found_on", "-id"]
        indexes = [models.Index(fields=["area", "status"], name="lead_area_status_idx")]

    def __str__(self) -> str:
        return self.number


class Case(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("案件编号", max_length=20, unique=True)
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="cases"
    )
    area = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        "状态", max_length=12, choices=CaseStatus.choices, default=CaseStatus.IDENTIFYING
    )
    is_open = models.BooleanField("在办", default=True)  # identifying, monitored or eliminating
    procedure = models.CharField(
        "当前程序", max_length=16, choices=Procedure.choices, default=Procedure.IDENTIFICATION
    )
    round = models.PositiveSmallIntegerField(
        "程序轮次", default=1
    )  # elimination may be run again after rollback
    stage = models.CharField("待办环节", max_length=14, choices=Step.choices, default=Step.CONSENT)
    stage_since = models.DateField("环节开始日期")
    stage_due = models.DateField("环节办理期限", null=True, blank=True)
    total_due = models.DateField("识别认定总期限", null=True, blank=True)  # found_on + 15 days
    # What the home check found (identification), confirmed by the county.
    monitoring_type = models.CharField(
        "监测对象类型", max_length=16, choices=MonitoringType.choices, blank=True
    )
    risk_types = models.JSONField("风险类型", default=list, blank=True)  # RiskType values
    main_risk = models.CharField("主要风险", max_length=20, choices=RiskType.choices, blank=True)
    sudden_event = models.CharField("突发事件", max_length=200, blank=True)
    sudden_amount = models.DecimalField("刚性支出或收入缩减金额", null=True, blank=True, **MONEY)
    income_window_start = models.DateField("收入测算起", null=True, blank=True)
    income_window_end = models.DateField("收入测算止", null=True, blank=True)
    assessed_size = models.PositiveSmallIntegerField("测算家庭人口数", null=True, blank=True)
    assessed_net_income = models.DecimalField("测算家庭纯收入", null=True, blank=True, **MONEY)
    assessed_per_capita = models.DecimalField("测算人均纯收入", null=True, blank=True, **MONEY)
    assessment_line = models.DecimalField("测算时监测范围", null=True, blank=True, **MONEY)
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name="适用政策参数",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    identified_on = models.DateField("识别认定日期", null=True, blank=True)  # county approval
    announced_on = models.DateField("公告日期", null=True, blank=True)
    elimination_started_on = models.DateField("风险消除启动日期", null=True, blank=True)
    eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    closed_reason = models.CharField("办结说明", max_length=300, blank=True)
    # The household's current member count (`Household.member_count`), kept equal to it by
    # `receivers.keep_household_members` (every change of a household's members goes through
    # `registry.actions.record_event`, which sends `household_changed`) and set when the case is created: the
    # dashboards sum 监测人口 over the cases without joining a million households.
    household_members = models.PositiveSmallIntegerField("家庭人口数（当前）", null=True, blank=True)
    # The latest visit's date (`Visit.visited_on`), kept by `actions._visit`: the overdue-visit counts of the
    # boards, to-do lists and dashboards read it instead of the visits of every monitored case.
    last_visited_on = models.DateField("最近走访日期", null=True, blank=True)
    green_channel = models.BooleanField("绿色通道", default=False)
    green_channel_reason = models.CharField("绿色通道原因", max_length=200, blank=True)
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮扶责任人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    previous_case = models.ForeignKey(
        "self", verbose_name="前一案件", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_relapse = models.BooleanField("返贫（风险消除后再识别）", default=False)
    rollbacks = models.PositiveSmallIntegerField("回退次数", default=0)
    last_return_reason = models.CharField("最近一次退回原因", max_length=300, blank=True)
    last_return_step = models.CharField("退回环节", max_length=14, choices=Step.choices, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_on = models.DateField("启动日期")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "监测案件"
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(is_open=True), name="case_one_open_per_household"
            )
        ]
        indexes = [
            models.Index(fields=["area", "status"], name="case_area_status_idx"),
            models.Index(fields=["is_open", "stage", "stage_due"], name="case_open_stage_due_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self.household_members is None and self.household_id is not None:
            self.household_members = Household.objects.values_list("member_count", flat=True).get(
                pk=self.household_id
            )
        super().save(*args, **kwargs)

    @property
    def procedure_pending(self) -> bool:
        """Green channel: measures started before the identification procedure was finished."""
        return self.green_channel and self.status == CaseStatus.IDENTIFYING

    @property
    def steps(self) -> tuple[str, ...]:
        return STEPS[self.procedure]


class StepRecord(models.Model):
    class Outcome(models.TextChoices):
        DONE = "done", "已办理"
        APPROVED = "approved", "同意"
        RETURNED = "returned", "退回"
        REJECTED = "rejected", "不予认定"
        RESUBMITTED = "resubmitted", "补正后重新报送"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="step_records")
    procedure = models.CharField("程序", max_length=16, choices=Procedure.choices)
    round = models.PositiveSmallIntegerField("程序轮次", default=1)
    step = models.CharField("环节", max_length=14, choices=Step.choices)
    outcome = models.CharField("结果", max_length=12, choices=Outcome.choices)
    acted_on = models.DateField("办理日期")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("意见/原因", max_length=500, blank=True)
    data = models.JSONField(
        "办理内容", default=dict
    )  # figures, dates, the signer of a consent; no ID numbers
    attachments = models.ManyToManyField(Attachment, blank=True, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "办理记录"
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.procedure}/{self.step} {self.outcome}"


class PublicNotice(models.Model):
    """村内公示: one per case and procedure, in the village only (policy §7 rules 10–11)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    procedure = models.CharField("程序", max_length=16, choices=Procedure.choices)
    round = models.PositiveSmallIntegerField("程序轮次", default=1)
    start = models.DateField("公示开始日期")
    end = models.DateField("公示结束日期")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "村内公示"
        constraints = [
            models.UniqueConstraint(fields=["case", "procedure", "round"], name="notice_once_per_procedure"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="notice_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.start}–{self.end}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days


class Objection(models.Model):
    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections")
    received_on = models.DateField("收到日期")
    content = models.TextField("异议内容")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField("答复", blank=True)
    answered_on = models.DateField("答复日期", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "公示异议"
        ordering = ["notice", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.received_on}"


class DiscrepancyKind(models.TextChoices):
    PUBLIC_PAYROLL = "public_payroll", "财政供养人员"
    VEHICLE = "vehicle", "登记车辆"
    REAL_ESTATE = "real_estate", "商品房等不动产"
    BUSINESS = "business", "工商登记市场主体"
    DECEASED = "deceased", "已死亡仍在册"
    OTHER = "other", "其他"


class Discrepancy(models.Model):
    """疑点: a fact from a department list that contradicts the household's situation; resolved with a note."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="discrepancies")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("疑点类型", max_length=16, choices=DiscrepancyKind.choices)
    detail = models.CharField("疑点内容", max_length=300)
    source = models.CharField("来源", max_length=20, default="comparison")  # comparison | screening
    source_ref = models.CharField("来源记录", max_length=60, blank=True)
    found_on = models.DateField("发现日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField("核实说明", blank=True)
    resolved_on = models.DateField("核实日期", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "疑点"
        ordering = ["found_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.detail}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_on is not None


class MeasureCategory(models.TextChoices):
    INDUSTRY = "industry", "产业帮扶"
    EMPLOYMENT = "employment", "就业帮扶"
    PUBLIC_WELFARE_JOB = "public_welfare_job", "公益性岗位"
    MICROCREDIT = "microcredit", "小额信贷"
    HEALTH = "health", "健康帮扶"
    EDUCATION = "education", "教育帮扶"
    HOUSING = "housing", "住房保障"
    WATER = "water", "饮水安全"
    SAFETY_NET = "safety_net", "综合保障（兜底）"
    SOCIAL = "social", "社会帮扶"
    OTHER = "other", "其他"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", "计划实施"
    IN_PROGRESS = "in_progress", "实施中"
    DONE = "done", "已落实"
    STOPPED = "stopped", "已终止"


CARRIED_OUT = (MeasureStatus.IN_PROGRESS, MeasureStatus.DONE)


class Measure(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="measures")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="measures")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    category = models.CharField("措施类别", max_length=20, choices=MeasureCategory.choices)
    content = models.CharField("措施内容", max_length=300)
    responsible = models.CharField("责任人或责任单位", max_length=60)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    amount = models.DecimalField("金额（元）", null=True, blank=True, **MONEY)
    status = models.CharField(
        "状态", max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    before_approval = models.BooleanField("绿色通道先行落实", default=False)
    evidence = models.ManyToManyField(Attachment, blank=True, related_name="+")
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "帮扶措施"
        ordering = ["case", "start_date", "id"]
        indexes = [models.Index(fields=["area", "category"], name="measure_area_category_idx")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.content}"


GUARANTEES = (
    ("food", "不愁吃"),
    ("clothing", "不愁穿"),
    ("education", "义务教育有保障"),
    ("medical", "基本医疗有保障"),
    ("housing", "住房安全有保障"),
    ("water", "饮水安全有保障"),
)


class Visit(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField("走访日期")
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="走访人", on_delete=models.PROTECT, related_name="+"
    )
    findings = models.TextField("走访情况")
    photos = models.ManyToManyField(Attachment, blank=True, related_name="+")
    # A verification (核实) records the guarantees and the state of the risks; plain visits may skip it.
    is_verification = models.BooleanField("核实两不愁三保障", default=False)
    guarantees = models.JSONField("两不愁三保障及饮水安全", default=dict, blank=True)  # key → bool
    income_stable = models.BooleanField("收入持续稳定", null=True, blank=True)
    risks_resolved = models.BooleanField("识别时的风险已消除", null=True, blank=True)
    new_risks = models.CharField("新增风险", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "走访记录"
        ordering = ["case", "-visited_on", "-id"]
        indexes = [models.Index(fields=["case", "visited_on"], name="visit_case_date_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.visited_on}"

    @property
    def all_secure(self) -> bool:
        return all(self.guarantees.get(key) is True for key, _ in GUARANTEES)


class CaseEvent(models.Model):
    class Kind(models.TextChoices):
        LEAD_RECORDED = "lead_recorded", "登记风险线索"
        LEAD_CLOSED = "lead_closed", "线索核实无风险"
        LEAD_ATTACHED = "lead_attached", "线索并入案件"
        OPENED = "opened", "启动识别认定"
        STEP_DONE = "step_done", "办理环节"
        RETURNED = "returned", "退回"
        REJECTED = "rejected", "不予认定"
        MONITORED = "monitored", "纳入监测"
        EXTENDED = "extended", "延长办理期限"
        OBJECTION = "objection", "收到公示异议"
        OBJECTION_ANSWERED = "objection_answered", "答复公示异议"
        DISCREPANCY = "discrepancy", "发现疑点"
        DISCREPANCY_RESOLVED = "discrepancy_resolved", "核实疑点"
        CADRE_ASSIGNED = "cadre_assigned", "确定帮扶责任人"
        MEASURE_ADDED = "measure_added", "制定帮扶措施"
        MEASURE_UPDATED = "measure_updated", "更新帮扶措施"
        VISIT = "visit", "走访"
        ELIMINATION_STARTED = "elimination_started", "启动风险消除"
        ELIMINATED = "eliminated", "风险消除"
        ROLLED_BACK = "rolled_back", "风险消除回退"

    case = models.ForeignKey(Case, null=True, on_delete=models.PROTECT, related_name="events")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="case_events")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("事件", max_length=24, choices=Kind.choices)
    procedure = models.CharField("程序", max_length=16, choices=Procedure.choices, blank=True)
    step = models.CharField("环节", max_length=14, choices=Step.choices, blank=True)
    effective_date = models.DateField("日期")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("原因/意见", max_length=500, blank=True)
    data = models.JSONField("内容", default=dict)
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "监测案件记录"
        ordering = ["effective_date", "id"]
        indexes = [models.Index(fields=["kind", "effective_date"], name="case_event_kind_date_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.effective_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("监测案件记录只能追加，不能修改")
        super().save(*args, **kwargs)
