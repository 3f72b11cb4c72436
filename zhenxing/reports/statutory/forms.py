"""The export form: as-of date, area (the user's own or a township or village inside it), full ID numbers."""

import datetime

from django import forms
from django.utils import timezone

from zhenxing.areas.models import Area, Level

LEVELS = [Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


def area_choices(user) -> list[tuple[str, str]]:
    """The user's area, then each township with its villages under it (active areas, by code), indented
    by their depth below the user's area."""
    areas = (
        Area.objects.within(user.area)
        .filter(level__in=LEVELS, is_active=True)
        .exclude(pk=user.area.pk)
        .order_by("code")
        .values_list("code", "name", "level")
    )
    top = LEVELS.index(user.area.level) if user.area.level in LEVELS else 0
    choices = [(user.area.code, f"{user.area.name}（全部）")]
    choices += [(code, "　" * (LEVELS.index(level) - top) + name) for code, name, level in areas]
    return choices


class ExportForm(forms.Form):
    as_of = forms.DateField(
        label="截至日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": "请按 YYYY-MM-DD 填写截至日期，如 2024-06-30",
            "required": "请填写截至日期",
        },
    )
    area = forms.ChoiceField(label="区划")
    full_ids = forms.BooleanField(label="导出完整身份证号码（将记入审计日志）", required=False)

    def __init__(self, user, *args, **kwargs):
        kwargs.setdefault("initial", {"as_of": timezone.localdate(), "area": user.area.code})
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_choices(user)
        self.fields["area"].error_messages["invalid_choice"] = "请从列表中选择乡镇（街道）或村（社区）"

    def clean_as_of(self) -> datetime.date:
        day = self.cleaned_data["as_of"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(f"截至日期不能晚于今天（{today:%Y-%m-%d}），请重新选择")
        return day
