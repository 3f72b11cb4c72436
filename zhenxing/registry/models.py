"""The household registry: households, persons, who belongs where since when, yearly income, history.

- `Membership` is the truth about who belongs to which household: a row per stay, with start and end
  dates. A person has at most one open membership (database constraint); an active household has at
  most one open head membership (database constraint) and actions keep it at exactly one.
- `HouseholdEvent` is the append-only history: every change records its effective date, what changed
  (ids and values) and the household's state after it (`snapshot`, built by `registry.history`), so
  the household page can show the household as of any date.
- `IncomeYear` holds one year's incomes; net and per-capita net income are computed, never typed.
- Personal data: ID numbers and phones are stored encrypted (`lib.personal.encrypt`), found through
  `id_hash` (a keyed hash), and displayed masked (`id_masked`, computed once when stored).
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from zhenxing.areas.models import Area

MONEY = {"max_digits": 14, "decimal_places": 2}


class HouseholdKind(models.TextChoices):
    LIFTED = "lifted", "脱贫户"  # registered poor household that exited poverty (建档立卡)
    ORDINARY = "ordinary", "一般农户"


class MonitoringStatus(models.TextChoices):
    """Owned by cases (防返贫监测); the registry only shows and filters it."""

    NONE = "none", "未纳入监测"
    MONITORED = "monitored", "监测对象"  # an identified case is open
    ELIMINATED = "eliminated", "风险已消除"  # the last case ended in risk elimination


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "在册"  # member of an active household
    DECEASED = "deceased", "已死亡"
    LEFT = "left", "已迁出"  # married out, moved away, or left the registry otherwise


HEAD = "户主"


class Household(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("户编号", max_length=40, unique=True)
    area = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="households")
    kind = models.CharField("户类型", max_length=10, choices=HouseholdKind.choices)
    lifted_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    lifted_attribute = models.CharField("脱贫属性", max_length=20, blank=True)  # 一般脱贫户/低保脱贫户/…
    is_active = models.BooleanField("在册", default=True)  # False once merged into another household
    monitoring_status = models.CharField(
        "监测状态", max_length=12, choices=MonitoringStatus.choices, default=MonitoringStatus.NONE
    )
    # Kept by the actions for fast lists (the truth is Membership).
    head = models.ForeignKey(
        "Person", verbose_name="户主", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member_count = models.PositiveSmallIntegerField("家庭人口数", default=0)
    # The household's latest IncomeYear (year and per-capita net income), kept by `incomes.keep_latest`
    # wherever incomes are written, so that a district's income distribution reads households alone.
    income_year = models.PositiveSmallIntegerField("最新收入年度", null=True, blank=True)
    income_per_capita = models.DecimalField("最新人均纯收入", null=True, blank=True, **MONEY)
    # The risk colour's inputs (the rule of `screening/colour.py`), kept by `screening.colour.refresh` whenever
    # a warning, lead, case or the monitoring status changes, so that lists and dashboards colour a district
    # from the households alone: red = `risk_open` or `risk_step_due` before today; yellow = otherwise
    # `risk_monitored`; green = the rest.
    risk_open = models.BooleanField("有未办结预警、待处理线索或识别中案件", default=False)
    risk_monitored = models.BooleanField("监测中", default=False)
    risk_step_due = models.DateField("在办监测案件当前环节期限", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "农户"
        ordering = ["number"]
        indexes = [
            # The registry list filtered by village and kind, ordered by number.
            models.Index(fields=["area", "kind", "number"], name="household_area_kind_idx"),
            models.Index(fields=["monitoring_status"], name="household_monitoring_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number}"


class Person(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    id_number_encrypted = models.TextField("公民身份号码（密文）")
    id_hash = models.CharField("公民身份号码查找哈希", max_length=64, unique=True)
    id_masked = models.CharField("公民身份号码（脱敏）", max_length=20)
    external_id = models.CharField("人编号", max_length=40, blank=True, db_index=True)
    name = models.CharField("姓名", max_length=40, db_index=True)
    sex = models.CharField("性别", max_length=1)  # 男/女, from the ID number
    birth_date = models.DateField("出生日期")  # from the ID number
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    political_status = models.CharField("政治面貌", max_length=20, blank=True)
    education = models.CharField("文化程度", max_length=20, blank=True)
    schooling = models.CharField("在校生状况", max_length=20, blank=True)
    health = models.CharField(
        "健康状况", max_length=40
    )  # canonical comma-joined list, e.g. "长期慢性病,残疾"
    labour_capacity = models.CharField("劳动能力", max_length=20)
    employment = models.CharField("务工状况", max_length=20, blank=True)
    months_worked = models.PositiveSmallIntegerField("务工时间（月）", null=True, blank=True)
    phone_encrypted = models.TextField("联系电话（密文）", blank=True)
    phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    status_date = models.DateField("状态日期", null=True, blank=True)  # date of death or leaving
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "家庭成员"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class StartReason(models.TextChoices):
        REGISTERED = "registered", "建档登记"
        BIRTH = "birth", "出生"
        MARRIAGE_IN = "marriage_in", "婚入"
        MOVED_IN = "moved_in", "迁入"
        SPLIT = "split", "分户"
        MERGE = "merge", "合户"

    class EndReason(models.TextChoices):
        DEATH = "death", "死亡"
        MARRIAGE_OUT = "marriage_out", "婚出"
        MOVED_AWAY = "moved_away", "迁出"
        SPLIT = "split", "分户"
        MERGE = "merge", "合户"
        CORRECTION = "correction", "更正登记"

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField("与户主关系", max_length=10)
    start_date = models.DateField("入户日期")
    end_date = models.DateField("离户日期", null=True, blank=True)
    start_reason = models.CharField("入户原因", max_length=12, choices=StartReason.choices)
    end_reason = models.CharField("离户原因", max_length=12, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = "户籍关系"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(end_date__isnull=True),
                name="person_one_active_household",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(end_date__isnull=True, relation=HEAD),
                name="household_one_head",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
            ),
        ]
        indexes = [
            # Current members of a household, and members as of a date.
            models.Index(fields=["household", "end_date"], name="membership_household_idx"),
            # What changed after a date (the dashboards' members on an earlier day): who joined and is still
            # in, and who left.
            models.Index(
                fields=["start_date"], condition=models.Q(end_date__isnull=True), name="membership_start_idx"
            ),
            models.Index(
                fields=["end_date"], condition=models.Q(end_date__isnull=False), name="membership_end_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.household_id} {self.relation}"

    def is_current_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date > day)


class IncomeYear(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="incomes")
    year = models.PositiveSmallIntegerField("年度")
    wage_income = models.DecimalField("工资性收入", **MONEY)
    business_income = models.DecimalField("生产经营性收入", **MONEY)
    property_income = models.DecimalField("财产性收入", **MONEY)
    transfer_income = models.DecimalField("转移性收入", **MONEY)
    production_costs = models.DecimalField("生产经营性支出", **MONEY)
    claims_income = models.DecimalField("理赔收入", null=True, blank=True, **MONEY)
    compliant_out_of_pocket = models.DecimalField("合规自付支出", null=True, blank=True, **MONEY)
    transfer_items = models.JSONField("转移性收入明细", default=dict, blank=True)  # 低保金 etc., as strings
    # Computed by `compute()` when saved by the actions; stored for filters and reports.
    household_size = models.PositiveSmallIntegerField("家庭人口数")
    net_income = models.DecimalField("家庭纯收入", **MONEY)
    net_income_per_capita = models.DecimalField("人均纯收入", **MONEY)
    recorded_at = models.DateTimeField("登记时间", auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The household's kind, village and activity as they are now, kept by `incomes.keep_household` on every
    # household change (`actions.record_event`) and income write, so that an earlier year's distribution
    # counts that year's incomes alone (one index-only scan) instead of joining them with the households.
    household_kind = models.CharField("户类型（现）", max_length=10, default="", blank=True)
    household_area = models.ForeignKey(
        Area, verbose_name="所在村（现）", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )  # fmt: skip
    household_active = models.BooleanField("农户在册（现）", default=False)

    class Meta:
        verbose_name = "年度收入"
        ordering = ["household", "year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="income_one_per_household_year")
        ]
        indexes = [
            # Income band filters: households of a year below / near the line.
            models.Index(fields=["year", "net_income_per_capita"], name="income_year_per_capita_idx"),
            # The dashboards' distribution of an earlier year: active households' incomes by kind and band,
            # read from the index alone.
            models.Index(
                fields=["year", "household_kind", "net_income_per_capita", "household_area"],
                condition=models.Q(household_active=True),
                name="income_year_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"

    def compute(self) -> None:
        """Net income and per-capita net income (rounded to the fen) from the parts and the size."""
        self.net_income = (
            self.wage_income + self.business_income + self.property_income + self.transfer_income
        ) - self.production_costs
        if self.household_size <= 0:
            raise ValueError("家庭人口数必须大于0")
        self.net_income_per_capita = (self.net_income / self.household_size).quantize(Decimal("0.01"))


class IncomeBand(models.TextChoices):
    BELOW = "below", "低于监测范围"
    NEAR = "near", "监测范围1.5倍以内"
    ABOVE = "above", "高于1.5倍监测范围"


def income_band(per_capita: Decimal, line: Decimal, near_multiple: Decimal = Decimal("1.5")) -> str:
    """Below the line; at or above it but below 1.5× (`near`); or above."""
    if per_capita < line:
        return IncomeBand.BELOW
    if per_capita < line * near_multiple:
        return IncomeBand.NEAR
    return IncomeBand.ABOVE


class HouseholdEvent(models.Model):
    class Kind(models.TextChoices):
        REGISTERED = "registered", "建档登记"
        IMPORTED = "imported", "导入更新"
        EDITED = "edited", "修改户信息"
        MEMBER_ADDED = "member_added", "增加成员"
        MEMBER_REMOVED = "member_removed", "减少成员"
        MEMBER_EDITED = "member_edited", "修改成员信息"
        HEAD_CHANGED = "head_changed", "变更户主"
        SPLIT = "split", "分户"
        MERGED = "merged", "合户"
        MOVED = "moved", "迁往他村"
        INCOME_RECORDED = "income_recorded", "登记年度收入"

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("变动类型", max_length=20, choices=Kind.choices)
    effective_date = models.DateField("生效日期")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField("来源", max_length=10)  # audit.models.Source
    reason = models.CharField("原因", max_length=200, blank=True)
    data = models.JSONField("变动内容", default=dict)  # ids and values, never names or ID numbers
    snapshot = models.JSONField("变动后状态", default=dict)  # registry.history.snapshot() after the change
    # Read from the snapshot when the event is written (`registry.history.derived`): the village then, and for
    # an active 脱贫户 its 脱贫劳动力 and those in 外出务工 (null for other households).
    area_code = models.CharField("所在村代码", max_length=15, blank=True, default="")
    lifted_labour = models.PositiveSmallIntegerField("脱贫劳动力人数", null=True, blank=True)
    lifted_migrants = models.PositiveSmallIntegerField("外出务工人数", null=True, blank=True)

    class Meta:
        verbose_name = "农户变动记录"
        ordering = ["household", "effective_date", "id"]
        indexes = [
            # As-of reconstruction: the latest make-up event of a household on or before a date (income
            # records are not make-up events: `history.state_on`).
            models.Index(
                fields=["household", "effective_date", "id"],
                condition=~models.Q(kind="income_recorded"),
                name="event_makeup_date_idx",
            ),
            # 就业 (`registry.queries.lifted_labour_on`): the 脱贫户's make-up events, with what it counts.
            models.Index(
                fields=["effective_date", "household"],
                include=["id", "area_code", "lifted_labour", "lifted_migrants"],
                condition=models.Q(lifted_labour__isnull=False) & ~models.Q(kind="income_recorded"),
                name="event_lifted_labour_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind} {self.effective_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("农户变动记录只能追加，不能修改")
        super().save(*args, **kwargs)


class Code(models.Model):
    """One value of a national code list (与户主关系, 文化程度, 在校生状况, 健康状况, 劳动能力, …).

    Code lists change between national versions (see national-formats §4), so they are data: each
    `version` (e.g. "2021") is a complete list for an `item`; `label` is what files say and `canonical`
    what the platform stores (old labels of earlier versions map onto current ones).
    """

    item = models.CharField("代码项", max_length=30)
    version = models.CharField("版本", max_length=10)
    label = models.CharField("文件中的取值", max_length=40)
    canonical = models.CharField("平台存储值", max_length=40)
    position = models.PositiveSmallIntegerField("排序", default=0)
    is_current = models.BooleanField("现行取值", default=True)  # offered in templates' drop-downs

    class Meta:
        verbose_name = "代码表取值"
        ordering = ["item", "version", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "version", "label"], name="code_unique_label")]

    def __str__(self) -> str:
        return f"{self.item}:{self.label}"
