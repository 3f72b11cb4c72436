"""The audit log: append-only, hash-chained.

Every write made through an action and every display or export of full personal data adds one
`AuditEntry`. Each row stores `hash = sha256(prev_hash + canonical content)`, so editing or deleting a
row breaks the chain at that row, which `zhenxing audit verify` reports.
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Source(models.TextChoices):
    UI = "ui", "网页"
    API = "api", "接口"
    IMPORT = "import", "导入"
    JOB = "job", "后台任务"
    CLI = "cli", "命令行"


class Kind(models.TextChoices):
    WRITE = "write", "修改"
    READ_PERSONAL = "read_personal", "查看个人敏感信息"
    EXPORT_PERSONAL = "export_personal", "导出个人敏感信息"


GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Snapshot of who and where, so the row reads the same after the user is renamed or moved.
    actor_username = models.CharField("账号", max_length=150, blank=True)
    area_code = models.CharField("区划代码", max_length=15, blank=True, db_index=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    kind = models.CharField("类别", max_length=20, choices=Kind.choices, default=Kind.WRITE)
    action = models.CharField("操作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=80, db_index=True)
    object_id = models.CharField("对象标识", max_length=80, blank=True, db_index=True)
    object_label = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "审计记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("审计记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录只能追加，不能删除")

    @property
    def action_label(self) -> str:
        from zhenxing.audit.labels import action_label

        return action_label(self.action)

    def content(self) -> dict:
        """The fields the hash covers, in a canonical form that survives a database round trip."""
        return {
            "id": self.pk,
            # In UTC: the database hands datetimes back in UTC whatever zone they were written in.
            "at": self.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "area_code": self.area_code,
            "source": self.source,
            "kind": self.kind,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "changes": self.changes,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
        return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()
