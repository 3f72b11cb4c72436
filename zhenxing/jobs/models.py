"""Background jobs: a table of work claimed atomically by workers (no broker needed)."""

import uuid

from django.conf import settings
from django.db import models

from zhenxing.areas.models import Area


class Status(models.TextChoices):
    QUEUED = "queued", "排队中"  # waiting for a worker
    RUNNING = "running", "进行中"  # claimed by a worker, heartbeat updating
    SUCCEEDED = "succeeded", "已完成"  # finished; result file (if any) ready
    FAILED = "failed", "失败"  # the handler raised, or its worker stopped; may be retried


UNFINISHED = (Status.QUEUED, Status.RUNNING)

# The colour of each status's badge (classes from app.css).
STATUS_BADGE = {
    Status.QUEUED: "grey",
    Status.RUNNING: "yellow",
    Status.SUCCEEDED: "green",
    Status.FAILED: "red",
}


class JobQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(status__in=UNFINISHED)

    def visible_to(self, user):
        """A user's own jobs; roles that oversee the district see every job in their scope."""
        from zhenxing.accounts.roles import Capability
        from zhenxing.accounts.scope import scoped

        if not user.is_authenticated:
            return self.none()
        if user.can(Capability.VIEW_ALL_JOBS):
            return scoped(self, user)
        return self.filter(created_by=user)


class Job(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("任务类型", max_length=60)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    area = models.ForeignKey(Area, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("心跳", null=True, blank=True)
    worker = models.CharField("执行进程", max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总数", default=0)
    message = models.CharField("当前说明", max_length=300, blank=True)
    log = models.TextField("日志", blank=True)
    error = models.TextField("错误", blank=True)
    result_file = models.CharField("结果文件", max_length=300, blank=True)  # path under MEDIA_ROOT
    result_name = models.CharField("结果文件名", max_length=200, blank=True)  # name offered on download
    # Set by the handler when the result file holds personal data: each download is then audited.
    result_has_personal_data = models.BooleanField("结果含个人信息", default=False)
    result = models.JSONField("结果摘要", default=dict, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's claim query: oldest queued job first.
            models.Index(fields=["status", "created_at"], name="job_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.get_status_display()}）"

    @property
    def label(self) -> str:
        from zhenxing.jobs.registry import label_for

        return label_for(self.kind)

    @property
    def percent(self) -> int:
        if self.status == Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def is_finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def status_badge(self) -> str:
        return STATUS_BADGE.get(self.status, "grey")

    @property
    def result_items(self) -> list[tuple[str, object]]:
        """The summary as (Chinese label, value) pairs, for the job page."""
        from zhenxing.jobs.registry import result_label

        return [
            (result_label(self.kind, key), value)
            for key, value in (self.result or {}).items()
            if key != "url"
        ]

    @property
    def result_url(self) -> str:
        """The page showing what a succeeded job made (a summary's "url"), if it names one of ours."""
        url = (self.result or {}).get("url", "") if self.status == Status.SUCCEEDED else ""
        return url if isinstance(url, str) and url.startswith("/") and not url.startswith("//") else ""

    @property
    def has_result_file(self) -> bool:
        return self.status == Status.SUCCEEDED and bool(self.result_file)
