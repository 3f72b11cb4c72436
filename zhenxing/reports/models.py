"""Reports keep almost nothing of their own: they read the registry, cases, screening and funds.

The one thing stored here is the wording of the policy leaflets (明白纸): `LeafletTemplate`, one
immutable row per saved version of each kind; the newest version of a kind is the one printed. Writes
go through `reports.actions.save_leaflet_template` (district admin, audited).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class LeafletKind(models.TextChoices):
    DECLARATION = "declaration", "申报政策明白纸"  # every rural household: how to declare a hardship
    ASSISTANCE = "assistance", "帮扶政策明白纸"  # monitored households: type, risks, measures, cadre


class LeafletTemplate(models.Model):
    """One version of a leaflet's editable wording: a title and a plain-text body with placeholders such
    as {户主姓名} (the fixed list is `reports.leaflets.placeholders.PLACEHOLDERS`; never template syntax)."""

    kind = models.CharField("明白纸类型", max_length=12, choices=LeafletKind.choices)
    version = models.PositiveIntegerField("版本号")
    title = models.CharField("标题", max_length=40)
    body = models.TextField("正文")
    reason = models.TextField("修改原因")
    created_at = models.DateTimeField("保存时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="保存人",
        null=True,  # null: the wording shipped with the platform
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "明白纸模板"
        ordering = ["kind", "version"]
        constraints = [
            # Also the index `current_template()` uses: the newest version of a kind.
            models.UniqueConstraint(fields=["kind", "version"], name="leaflet_template_unique_version"),
            models.CheckConstraint(
                name="leaflet_template_version_positive", condition=models.Q(version__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("明白纸模板保存后不能修改，请保存一个新版本")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("明白纸模板版本不能删除")

    @property
    def label(self) -> str:
        """ "申报政策明白纸第2版" """
        return f"{self.get_kind_display()}第{self.version}版"

    @property
    def author_label(self) -> str:
        return str(self.created_by) if self.created_by_id else "平台预置"
