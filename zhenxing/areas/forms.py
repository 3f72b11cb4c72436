from django import forms


class AreaChildForm(forms.Form):
    code = forms.CharField(
        label="区划代码", max_length=15, help_text="村/社区12位，村民小组15位，以上级代码开头"
    )
    name = forms.CharField(label="名称", max_length=60)


class AreaRenameForm(forms.Form):
    name = forms.CharField(label="名称", max_length=60)


class AreaImportForm(forms.Form):
    file = forms.FileField(
        label="区划文件（.xlsx / .xls / .csv）", help_text="列：代码、名称、上级代码。可先下载模板填写。"
    )
