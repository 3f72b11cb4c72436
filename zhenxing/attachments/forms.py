from django import forms

from zhenxing.attachments.models import Kind


class UploadForm(forms.Form):
    file = forms.FileField(label="文件", error_messages={"required": "请选择要上传的文件"})
    area = forms.CharField(
        label="所属区划代码", max_length=15, error_messages={"required": "缺少所属区划，请刷新页面后重试"}
    )
    kind = forms.ChoiceField(
        label="类别", choices=[("", "按文件类型自动判断"), *Kind.choices], required=False
    )
    note = forms.CharField(label="备注", max_length=200, required=False)
