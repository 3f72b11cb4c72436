from django import forms

from zhenxing.areas.models import Area, Level
from zhenxing.reports.leaflets.placeholders import TITLE_MAX
from zhenxing.reports.models import LeafletKind


def area_choices(user) -> list:
    """The user's townships and villages, grouped by township: [(label, [(code, name), …]), …]."""
    within = Area.objects.within(user.area).active().filter(level__in=(Level.TOWNSHIP, Level.VILLAGE))
    groups: dict[str, list[tuple[str, str]]] = {}
    labels: dict[str, str] = {}
    for code, name, level in within.order_by("code").values_list("code", "name", "level"):
        township = code[:9]
        if level == Level.TOWNSHIP:
            labels[township] = name
            groups.setdefault(township, []).insert(0, (code, f"{name}（全部村）"))
        else:
            groups.setdefault(township, []).append((code, name))
    missing = [t for t in groups if t not in labels]  # a village cadre's township lies outside the scope
    labels.update(Area.objects.filter(code__in=missing).values_list("code", "name"))
    return [(labels.get(t, "本辖区"), options) for t, options in groups.items()]


class BatchForm(forms.Form):
    kind = forms.ChoiceField(label="明白纸", choices=LeafletKind.choices, widget=forms.RadioSelect)
    area = forms.CharField(
        label="范围",
        max_length=15,
        help_text="选择一个乡镇（街道）或村（社区）；乡镇按村、组和户编号顺序排列，每户一页。",
        error_messages={"required": "请选择乡镇（街道）或村（社区）"},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].widget = forms.Select(choices=[("", "请选择"), *area_choices(user)])
        self.fields["kind"].initial = LeafletKind.DECLARATION


class TemplateForm(forms.Form):
    title = forms.CharField(label="标题", max_length=TITLE_MAX)
    body = forms.CharField(
        label="正文",
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text="每行一段；整行用【】括起来的是小标题；以（1）或 1. 开头的是条目。占位符见右侧，须与列出的名称完全一致。",
    )
    reason = forms.CharField(
        label="修改原因",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="保存时必填，如依据的文件名称或政策调整内容；预览时可不填。",
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput)
