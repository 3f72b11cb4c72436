"""Versioned per-year policy settings.

Every save of a year's settings is a new, immutable `PolicyVersion`; decisions store the pk of the
version they used, so what a decision was based on can always be read back. The schema of the values
is `policy.parameters`; `policy.resolve.policy_for(year)` finds the version in effect.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

YEAR_MIN, YEAR_MAX = 2016, 2100


class PolicyVersion(models.Model):
    year = models.PositiveSmallIntegerField("年度")
    version = models.PositiveIntegerField("版本号")
    # Every parameter in its stored (JSON-safe) form; see policy.parameters.
    values = models.JSONField("参数值", default=dict)
    created_at = models.DateTimeField("保存时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="保存人",
        null=True,  # null: the defaults shipped with the platform
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField("修改原因")

    class Meta:
        verbose_name = "政策参数版本"
        ordering = ["year", "version"]
        constraints = [
            # Also the index policy_for() uses: year <= Y ordered by year, version.
            models.UniqueConstraint(fields=["year", "version"], name="policy_version_unique_per_year"),
            models.CheckConstraint(name="policy_version_positive", condition=models.Q(version__gte=1)),
            models.CheckConstraint(
                name="policy_version_year_range", condition=models.Q(year__gte=YEAR_MIN, year__lte=YEAR_MAX)
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("政策参数版本保存后不能修改，请保存一个新版本")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("政策参数版本不能删除，决定中记录了所用的版本")

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.version}版"

    @property
    def author_label(self) -> str:
        return str(self.created_by) if self.created_by_id else "平台预置"
