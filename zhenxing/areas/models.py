"""行政区划: county → township → village → group, identified by statistical area codes.

Codes nest by prefix (a village's 12-digit code starts with its township's 9 digits), so an area's
subtree is every area whose code starts with its code; data scope relies on that.
"""

from django.db import models


class Level(models.TextChoices):
    COUNTY = "county", "区县"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"
    GROUP = "group", "村民小组"


CODE_LENGTH = {Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GROUP: 15}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}
CHILD_LEVEL = {Level.COUNTY: Level.TOWNSHIP, Level.TOWNSHIP: Level.VILLAGE, Level.VILLAGE: Level.GROUP}


class AreaQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def within(self, area: "Area"):
        """The area and everything under it."""
        return self.within_code(area.code)

    def within_code(self, code: str):
        return self.filter(code__startswith=code)


class Area(models.Model):
    code = models.CharField("区划代码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField("在用", default=True)
    retired_at = models.DateTimeField("撤销时间", null=True, blank=True)
    # Villages the demo invents are flagged so no one mistakes them for official codes.
    is_demo = models.BooleanField("演示数据", default=False)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        ordering = ["code"]
        indexes = [
            # Subtree filters (`code LIKE '420704100%'`) in every scoped query need a pattern-ready index.
            models.Index(fields=["code"], name="area_code_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        """e.g. 鄂城区泽林镇某某村: the names from the township down, with the county first."""
        names, area = [], self
        while area is not None:
            names.append(area.name)
            area = area.parent
        return "".join(reversed(names))

    def contains(self, other: "Area") -> bool:
        return other.code.startswith(self.code)

    def ancestors(self) -> list["Area"]:
        chain, area = [], self.parent
        while area is not None:
            chain.append(area)
            area = area.parent
        return list(reversed(chain))
