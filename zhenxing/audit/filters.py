"""Which audit rows a user asked for: one filter used by the list page and the `.xlsx` export alike.

`AuditFilterForm` validates what the user typed (query string or POST); `AuditFilter` is the clean,
JSON-friendly result that also travels in a job's params; `filter_entries()` turns it into a queryset.
The list view and the export job both call `filter_entries(visible_entries(user), filters)`, so the
file always holds exactly the rows the page showed.
"""

import datetime
from dataclasses import asdict, dataclass, fields

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.audit.models import AuditEntry, Kind


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    area_code: str = ""  # a prefix: a township's code selects the township and its villages
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    kind: str = ""
    date_from: datetime.date | None = None  # local (Asia/Shanghai) dates, both ends included
    date_to: datetime.date | None = None

    def as_params(self) -> dict:
        """Plain strings, for a job's JSON params and for query strings."""
        return {
            k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in asdict(self).items() if v
        }

    @classmethod
    def from_params(cls, params: dict) -> "AuditFilter":
        """The inverse of `as_params()` (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in params.items() if k in names and v}
        for key in ("date_from", "date_to"):
            if key in values:
                values[key] = datetime.date.fromisoformat(values[key])
        return cls(**values)

    @property
    def is_empty(self) -> bool:
        return not self.as_params()


class AuditFilterForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150, required=False)
    area_code = forms.RegexField(
        label="区划代码",
        regex=r"^\d{6,15}$",
        required=False,
        error_messages={"invalid": "区划代码应为6至15位数字，如 420704100（泽林镇）"},
    )
    object_type = forms.CharField(label="对象类型", max_length=80, required=False)
    object_id = forms.CharField(label="对象标识", max_length=80, required=False)
    action = forms.CharField(label="操作", max_length=80, required=False)
    kind = forms.ChoiceField(label="类别", choices=[("", "全部类别"), *Kind.choices], required=False)
    date_from = forms.DateField(
        label="开始日期", required=False, error_messages={"invalid": "开始日期格式应为 YYYY-MM-DD"}
    )
    date_to = forms.DateField(
        label="结束日期", required=False, error_messages={"invalid": "结束日期格式应为 YYYY-MM-DD"}
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("开始日期不能晚于结束日期，请重新选择")
        return data

    def to_filter(self) -> AuditFilter:
        """Call after `is_valid()`."""
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}
        return AuditFilter(**data)


def visible_entries(user) -> QuerySet:
    """The audit rows a user may read (403 without the capability).

    Reading the log is a district-level duty (district admins and inspectors sit on the county), so
    they see every row, including rows with no area. Should a lower-level role ever get the
    capability, it sees only its own subtree.
    """
    require(user, Capability.VIEW_AUDIT)
    entries = AuditEntry.objects.all()
    if user.area.parent_id is not None:
        entries = entries.filter(area_code__startswith=user.area.code)
    return entries


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


def filter_entries(entries: QuerySet, filters: AuditFilter) -> QuerySet:
    """Apply the filters to `entries`; newest first (the order of the page and of the export)."""
    exact = {
        "actor_username": filters.username,
        "object_type": filters.object_type,
        "object_id": filters.object_id,
        "action": filters.action,
        "kind": filters.kind,
    }
    entries = entries.filter(**{field: value for field, value in exact.items() if value})
    if filters.area_code:
        entries = entries.filter(area_code__startswith=filters.area_code)
    if filters.date_from:
        entries = entries.filter(at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        entries = entries.filter(at__lt=_local_midnight(filters.date_to + datetime.timedelta(days=1)))
    return entries.order_by("-id")
