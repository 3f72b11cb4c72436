"""Department screening (部门筛查预警): feeds, runs, warnings.

- A `FeedUpload` is one file (or one API push) of one department's feed, with its provenance (who, when,
  file name, SHA-256, row counts, as-of period). Its `FeedRow`s keep every row — matched to a registry
  person by the keyed hash of the ID number, or unmatched (kept and listed, never dropped).
- A `ScreeningRun` snapshots the registry and the feeds, evaluates the enabled rules with the engine
  (`screening/engine/`, no Django) and stores the hits: warnings (`Warning`) and discrepancies
  (`cases.Discrepancy`, through the cases actions).
- A `Warning` is identified by (rule, household, period): re-running or re-uploading never duplicates it,
  and a warning whose cause disappears is kept. It goes new → assigned (to the village) → verifying →
  closed with a result (纳入监测 → a lead through the cases actions, or 不纳入 with a reason).
All writes go through `screening.actions`.
"""

import uuid

from django.conf import settings
from django.db import models

from zhenxing.accounts.roles import Department
from zhenxing.areas.models import Area
from zhenxing.cases.models import Lead
from zhenxing.jobs.models import Job
from zhenxing.policy.models import PolicyVersion
from zhenxing.registry.models import Household, Person

# Feed kinds are the departments' keys (accounts.roles.Department): one feed per department.
FeedKind = Department


class FeedUpload(models.Model):
    class Source(models.TextChoices):
        FILE = "file", "文件上传"
        API = "api", "接口推送"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("数据类别", max_length=20, choices=FeedKind.choices)
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.FILE)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    period = models.CharField("数据期间", max_length=40, blank=True)  # e.g. "2024-11" or "2024年1-11月"
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    rows_total = models.PositiveIntegerField("行数", default=0)
    rows_matched = models.PositiveIntegerField("匹配到农户的行数", default=0)
    rows_unmatched = models.PositiveIntegerField("未匹配的行数", default=0)

    class Meta:
        verbose_name = "部门数据上传"
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["kind", "uploaded_at"], name="feed_upload_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uploaded_at:%Y-%m-%d %H:%M}"


class FeedRow(models.Model):
    upload = models.ForeignKey(FeedUpload, on_delete=models.PROTECT, related_name="rows")
    kind = models.CharField("数据类别", max_length=20, choices=FeedKind.choices)
    row_number = models.PositiveIntegerField("行号")
    id_hash = models.CharField("公民身份号码查找哈希", max_length=64)
    id_masked = models.CharField("公民身份号码（脱敏）", max_length=20)
    name = models.CharField("姓名", max_length=40, blank=True)
    # Matched when stored: the person with this ID number and their active household (None = unmatched).
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField("数据")  # the row's fields (English keys, values as strings), never the ID number

    class Meta:
        verbose_name = "部门数据行"
        ordering = ["upload", "row_number"]
        indexes = [
            models.Index(fields=["kind", "id"], name="feed_row_kind_idx"),
            # A run for a few households reads their members' rows of each kind (`screening.snapshot`): both
            # conditions in one index, so SQLite takes it even without statistics.
            models.Index(fields=["id_hash", "kind"], name="feed_row_hash_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}#{self.row_number}"


class ScreeningRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "手动"
        SCHEDULE = "schedule", "定期"
        FEED = "feed", "数据上传后"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    as_of = models.DateField("筛查基准日")
    backend = models.CharField("计算引擎", max_length=10, default="duckdb")
    trigger = models.CharField("触发方式", max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    upload = models.ForeignKey(
        FeedUpload, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    policy_version = models.ForeignKey(PolicyVersion, null=True, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField("各规则命中数", default=dict)  # rule → hits
    new_warnings = models.PositiveIntegerField("新增预警", default=0)
    new_discrepancies = models.PositiveIntegerField("新增疑点", default=0)
    seconds = models.FloatField("用时（秒）", null=True, blank=True)
    log = models.TextField("日志", blank=True)

    class Meta:
        verbose_name = "筛查运行"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.get_status_display()}"


class WarningStatus(models.TextChoices):
    NEW = "new", "待分派"
    ASSIGNED = "assigned", "已分派待核实"
    VERIFYING = "verifying", "核实中"
    CLOSED = "closed", "已办结"


class WarningResult(models.TextChoices):
    INCLUDE = "include", "纳入监测"
    EXCLUDE = "exclude", "不纳入"


class Warning(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("预警编号", max_length=20, unique=True)
    rule = models.CharField("规则", max_length=40)
    rule_version = models.PositiveSmallIntegerField("规则版本")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="warnings")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")  # the household's village
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period = models.CharField("期间", max_length=20)
    risk_type = models.CharField("风险类型", max_length=20)  # label: 因病, 因学, …, 收入
    department = models.CharField("来源部门", max_length=20, blank=True)  # FeedKind of the triggering rows
    values = models.JSONField("触发数值", default=dict)  # label → value, as the engine reported them
    feed_rows = models.ManyToManyField(FeedRow, blank=True, related_name="warnings")
    first_run = models.ForeignKey(ScreeningRun, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=WarningStatus.choices, default=WarningStatus.NEW)
    raised_on = models.DateField("下发日期")
    due = models.DateField("核实期限")
    assigned_on = models.DateField("分派日期", null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The day verification began: with assigned_on and closed_on it gives the state on any date (export).
    verification_started_on = models.DateField("开始核实日期", null=True, blank=True)
    result = models.CharField("核实结果", max_length=10, choices=WarningResult.choices, blank=True)
    result_reason = models.CharField("核实说明", max_length=500, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "筛查预警"
        ordering = ["-raised_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "household", "period"], name="warning_identity"),
        ]
        indexes = [
            models.Index(fields=["area", "status"], name="warning_area_status_idx"),
            models.Index(fields=["status", "due"], name="warning_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class WarningSeen(models.Model):
    """The last run whose hits included a warning (one row per warning, written with it): a run moves it
    forward for every warning it sees again, and a warning whose cause has gone keeps the run that saw it
    last. Kept apart from the warning's wide, much-indexed row so that a monthly run's update of a quarter
    of a million of them is cheap: on PostgreSQL the table has room on each page (fillfactor 50, migration
    0006) and no index on `run`, so the update rewrites each row in place (bench/README.md)."""

    warning = models.OneToOneField(
        Warning, primary_key=True, on_delete=models.CASCADE, related_name="seen", verbose_name="预警"
    )
    run = models.ForeignKey(
        ScreeningRun,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
        verbose_name="最近命中的筛查",
    )

    class Meta:
        verbose_name = "预警最近命中"

    def __str__(self) -> str:
        return f"{self.warning_id}: {self.run_id}"


class RegistryChange(models.Model):
    """A household whose rows in the screening snapshot may have changed since the kept registry files
    (`RegistryFiles`) were brought up to date. Written by PostgreSQL triggers on every table the snapshot's
    registry part reads (migration 0005), so that no writer — the ORM, an import's COPY, raw SQL — can
    forget it; read and removed by `snapshot` when it brings the files up to date. An empty household: any
    household (an area's code changed, a table was emptied): the files are read again in full."""

    household_id = models.BigIntegerField("农户", null=True)

    class Meta:
        verbose_name = "农户数据变动"

    def __str__(self) -> str:
        return str(self.household_id) if self.household_id is not None else "全部"


class RegistryFiles(models.Model):
    """The kept registry files of the screening snapshot that are true for this database (at most one row):
    the folder `registry-v<version>-<token>` in the cache folder (`snapshot.cache_dir`). Files under any other
    token are from a run that did not commit, or of another database, and are never read."""

    token = models.UUIDField("文件标识")
    written_at = models.DateTimeField("写入时间", auto_now=True)

    class Meta:
        verbose_name = "筛查快照的农户数据文件"

    def __str__(self) -> str:
        return str(self.token)
